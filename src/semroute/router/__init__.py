"""Router: picks the cheapest adequate model tier for a query."""
