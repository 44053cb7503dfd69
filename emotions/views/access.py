"""Who may see a page: the API's rule (emotions.access). Reading needs a login unless PUBLIC_READ is set;
changing anything (uploads, downloads of many frames are reads) always needs one."""
from functools import wraps

from django.contrib.auth.views import redirect_to_login

from emotions.access import can_read


def read_page(view):
    """Let anyone read the page where the site is public (PUBLIC_READ); otherwise send them to log in."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if can_read(request.user):
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path())

    return wrapped
