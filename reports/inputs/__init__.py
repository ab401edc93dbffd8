"""Reading a results folder: run records collected into tables, loaded with the plan."""
