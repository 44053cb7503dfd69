"""ToonSite's REST API (/api/): thin views over the services and selectors, described by an OpenAPI schema."""
