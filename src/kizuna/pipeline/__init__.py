"""Customer sales (C8): upsell leads passed by CS, opportunities and the pipeline."""
