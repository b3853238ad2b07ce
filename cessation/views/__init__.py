"""Pages of quit tracking: `patient` (the patient's own) and `staff` (their care team's)."""
