"""Activities (会話履歴): meetings, calls, e-mails, inquiries with SLA timings, notes (C1)."""
