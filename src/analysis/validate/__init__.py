"""Great Expectations suites between the cleaned tables and the indicators."""
