"""The loan database: models, one session scope, query functions, the seed command."""
