"""The home page (what is processing, recent episodes, the cast, and a face to classify), health, portraits."""
import base64

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from emotions.access import can_read
from emotions.forms import ClassifyForm
from emotions.portraits import STUDIO_PORTRAITS, cast_portrait_png
from emotions.selectors.home import home_overview
from emotions.services.classifier import image_thumbnail_png, images_classify, model_error_words, model_summary
from emotions.throttles import page_throttle_refusal
from toonvision.emotions import EMOTIONS


def home(request):
    """The site at a glance, or, for a first visit to a new site, how to start; and a face to classify. A visitor
    who may not read the site gets the landing page: what the site is, and how to log in or sign up."""
    if not can_read(request.user):
        return render(request, "emotions/landing.html", {"portraits": sorted(STUDIO_PORTRAITS)})
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())  # classifying spends the server's time: members only
    form = ClassifyForm(request.POST or None, request.FILES or None)
    context = {"overview": home_overview(), "form": form, "emotions": EMOTIONS,
               "model": model_summary()}
    status = 200
    if request.method == "POST":
        refusal = page_throttle_refusal(request, scope="images")  # the API's image allowance, one counter per user
        if refusal:
            context["model_error"], status = refusal, 429
        else:
            status = _classify(form, context)
    return render(request, "emotions/home.html", context, status=status)


def _classify(form: ClassifyForm, context: dict) -> int:
    """Classify the posted face here, in the web process (one small CNN pass, as /api/classify/ does); put the
    result in the context, or, when the model cannot be loaded, why not (503)."""
    if not form.is_valid():
        return 400
    context["thumbnail"] = base64.b64encode(image_thumbnail_png(image=form.cleaned_data["decoded"])).decode("ascii")
    try:
        (context["result"],) = images_classify(images=[form.cleaned_data["decoded"]])
    except (ValueError, OSError) as error:  # what EmotionClassifier.load raises for missing or broken weights
        context["model_error"] = ("The emotion model cannot be loaded, so no face can be classified now: "
                                  f"{model_error_words(error)}")
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
