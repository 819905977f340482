"""Tables, schemas and the domain logic that lives next to its data."""
