"""uspd tests."""
