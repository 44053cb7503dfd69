"""The API's ordering (DRF only); the query filters themselves are emotions.filters, shared with the pages."""
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter


class OneKeyOrderingFilter(OrderingFilter):
    """`?ordering=` with one of the view's ordering_fields (a leading '-' for descending), the id breaking ties:
    the single key cursor pagination pages by. An unknown key is a 400, not silently ignored."""

    def get_ordering(self, request, queryset, view):
        given = request.query_params.get(self.ordering_param, "").strip()
        allowed = list(view.ordering_fields)
        if given:
            if given.lstrip("-") not in allowed:
                choices = ", ".join(f"{f}, -{f}" for f in allowed)
                raise exceptions.ValidationError({"ordering": [f"cannot order by {given!r}; use one of {choices}"]})
            key = given
        else:
            key = view.ordering[0] if isinstance(view.ordering, list | tuple) else view.ordering
        return (key, "-id" if key.startswith("-") else "id")
