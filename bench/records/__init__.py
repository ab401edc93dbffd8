"""What is written: the trial log's event types, the run record, the results folder's layout."""
