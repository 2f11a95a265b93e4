"""Systems under test: each turns a `SystemRequest` into a `SystemOutput`."""
