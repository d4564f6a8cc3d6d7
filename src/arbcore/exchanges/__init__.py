"""Exchange connectors: one package per venue with the same seven files, on a shared transport."""
