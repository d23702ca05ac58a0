"""Model back-ends per capability, behind small protocols, loaded lazily."""
