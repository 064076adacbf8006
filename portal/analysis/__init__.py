"""The analyst workspace: search, neighbourhoods, paths, timelines, exports, investigations."""
