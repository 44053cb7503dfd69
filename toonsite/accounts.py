"""Making an account: open to visitors only where the site opts in (OPEN_REGISTRATION), at most
REGISTRATION_THROTTLE_RATE accounts per address; otherwise the page says who makes accounts."""
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render

from emotions.throttles import page_throttle_refusal


def register(request):
    """GET: the sign-up form (or why there is none); POST: make the account, log in, go home."""
    if not settings.OPEN_REGISTRATION:
        return render(request, "registration/register.html", {"closed": True}, status=403)
    if request.user.is_authenticated:
        return redirect("home")
    form = UserCreationForm(request.POST or None)
    context, status = {"form": form}, 200
    if request.method == "POST":
        refusal = page_throttle_refusal(request, scope="registrations")
        if refusal:
            context["refusal"], status = refusal, 429
        elif form.is_valid():
            login(request, form.save(), backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
        else:
            status = 400
    return render(request, "registration/register.html", context, status=status)
