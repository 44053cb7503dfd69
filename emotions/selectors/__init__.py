"""Selectors of the emotions app: the reads behind the pages and the API, one module per thing read (episodes,
characters, detections, the home page). They return querysets and plain data; filters and serializers narrow
and shape them. Callers import each function from its module."""
