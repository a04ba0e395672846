"""Read models for the CSM's daily views: Portfolio (book of business) and Account 360."""
