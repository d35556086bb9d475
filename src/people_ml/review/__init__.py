"""Review of a new run before BI shows it: gates, comparison with the shown run."""
