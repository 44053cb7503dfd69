"""The recommender's REST API: serializers, views and routes."""
