"""The API's views, a module per resource: each validates its input with a serializer, calls one service or
selector, and shapes the answer with an output serializer. Refusals from services become 4xx in toonsite.api."""
