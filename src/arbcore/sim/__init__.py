"""Exchange simulator: venue-agnostic matching and market model behind real wire protocols."""
