"""A TAXII 2.1 server: discovery, one API root, collections, objects, manifests, status."""
