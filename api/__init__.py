"""HTTP only: parsing, auth, permissions, status codes. The domain lives in ``models``."""
