"""What a batch leaves behind: the HTML report and error file, exports and templates, the
results email."""
