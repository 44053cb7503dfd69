"""Pages of the emotions app: they translate requests into service and task calls, nothing more."""
import base64

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from emotions import services, tasks
from emotions.forms import ClassifyForm
from emotions.vision.emotions import EMOTIONS
from emotions.vision.studio import CAST


@login_required
def home(request):
    """The cast, the active model, and a face to classify through the worker queue."""
    form = ClassifyForm(request.POST or None, request.FILES or None)
    context = {"form": form, "cast": list(CAST.values()), "emotions": EMOTIONS, "model": services.model_summary()}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            encoded = services.image_encode_for_queue(data=form.cleaned_data["image_bytes"])
            pending = tasks.classify_encoded_images.delay([encoded])
            thumbnail = services.image_thumbnail_png(image=form.cleaned_data["decoded"])
            context["thumbnail"] = base64.b64encode(thumbnail).decode("ascii")
            try:
                context["result"] = pending.get(timeout=settings.CLASSIFY_WAIT_SECONDS)[0]
            except CeleryTimeout:
                pending.forget()
                context["queue_error"] = (
                    f"No worker answered within {settings.CLASSIFY_WAIT_SECONDS} s. "
                    "Is a Celery worker running on the gpu queue? `make run` starts one."
                )
                status = 503
        else:
            status = 400
    return render(request, "emotions/home.html", context, status=status)


def health(request):
    """Liveness for load balancers and scripts: the web process answers (it checks no other service)."""
    return JsonResponse({"status": "ok"})


@cache_control(public=True, max_age=86400)
def cast_portrait(request, slug: str):
    """A cast member's studio portrait as a PNG."""
    try:
        return HttpResponse(services.cast_portrait_png(slug=slug), content_type="image/png")
    except KeyError:
        raise Http404(f"no cast member {slug!r}") from None
