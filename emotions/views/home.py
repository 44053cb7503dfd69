"""The home page (what is processing, recent episodes, the cast, and a face to classify), health, portraits."""
import base64
import contextlib

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from emotions.forms import ClassifyForm
from emotions.portraits import cast_portrait_png
from emotions.selectors.home import home_overview
from emotions.services.classifier import image_encode_for_queue, image_thumbnail_png, model_summary
from emotions.services.dispatch import images_classify_enqueue
from emotions.views.access import read_page
from toonvision.emotions import EMOTIONS


@read_page
def home(request):
    """The site at a glance, or, for a first visit to a new site, how to start; and a face to classify."""
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())  # classifying spends a worker's time: members only
    form = ClassifyForm(request.POST or None, request.FILES or None)
    context = {"overview": home_overview(), "form": form, "emotions": EMOTIONS,
               "model": model_summary()}
    status = _classify(form, context) if request.method == "POST" else 200
    return render(request, "emotions/home.html", context, status=status)


def _classify(form: ClassifyForm, context: dict) -> int:
    """Classify the posted face through the worker queue; put the result (or why not) in the context."""
    if not form.is_valid():
        return 400
    encoded = image_encode_for_queue(data=form.cleaned_data["image_bytes"])
    pending = images_classify_enqueue(encoded=[encoded])
    thumbnail = image_thumbnail_png(image=form.cleaned_data["decoded"])
    context["thumbnail"] = base64.b64encode(thumbnail).decode("ascii")
    try:
        context["result"] = pending.get(timeout=settings.CLASSIFY_WAIT_SECONDS)[0]
    except CeleryTimeout:
        with contextlib.suppress(OSError):  # the filesystem backend has no file for a task nobody ran
            pending.forget()
        context["queue_error"] = (
            f"No worker answered within {settings.CLASSIFY_WAIT_SECONDS} s. "
            "Is a Celery worker running on the cpu queue? `make run` starts one."
        )
        return 503
    return 200


def health(request):
    """Liveness for load balancers and scripts: the web process answers (it checks no other service)."""
    return JsonResponse({"status": "ok"})


@cache_control(public=True, max_age=86400)
def cast_portrait(request, slug: str):
    """A cast member's studio portrait as a PNG."""
    try:
        return HttpResponse(cast_portrait_png(slug=slug), content_type="image/png")
    except KeyError:
        raise Http404(f"no cast member {slug!r}") from None
