"""Newsletter: select the period's activities, render them, keep drafts for approval."""
