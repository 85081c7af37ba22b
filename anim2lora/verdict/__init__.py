"""The verdict: generated pictures measured with the data stages' own analyzers, as the source
write-up's failure table in numbers."""
