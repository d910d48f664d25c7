"""The Textual TUI (`hookcli tui`): the only package that imports textual, and only
loaded by that command."""
