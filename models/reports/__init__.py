"""Manager reports: set-based SQL over analyses, visits and outlets, scoped like everything."""
