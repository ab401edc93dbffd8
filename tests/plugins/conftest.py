"""The example plug-in package is installed by the tests, never imported from here."""

collect_ignore = ["tunebench-example-strategy"]
