"""Background work on procrastinate: photo analysis and periodic jobs, on the same PostgreSQL."""
