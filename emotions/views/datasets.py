"""The Datasets page: the site's labelled faces to download in the dissertation's layout, the imported datasets,
and a ZIP of one to import (logged-in users)."""
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render

from emotions.exceptions import DatasetRefused
from emotions.forms import DatasetExportForm, DatasetImportForm
from emotions.selectors.datasets import dataset_list
from emotions.services.datasets import dataset_export_faces, dataset_import_zip, dataset_zip_write
from emotions.throttles import page_throttle_refusal

TEMPLATE = "emotions/dataset_list.html"


@login_required
def dataset_page(request):
    """GET: the page. POST: import the uploaded ZIP (all or nothing), then the page again with what was added."""
    if request.method != "POST":
        return render(request, TEMPLATE, _context(form=DatasetImportForm()))
    form = DatasetImportForm(request.POST, request.FILES)
    refusal = page_throttle_refusal(request)
    if refusal:
        return render(request, TEMPLATE, _context(form=form, reason=refusal), status=429)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(form=form), status=400)
    upload = form.cleaned_data["file"]
    try:
        if upload.size > settings.MAX_DATASET_UPLOAD_BYTES:
            raise DatasetRefused(f"{upload.name} is over the {settings.MAX_DATASET_UPLOAD_BYTES} bytes a dataset "
                                 "may have", code="too_large")
        done = dataset_import_zip(upload=upload, name=form.cleaned_data["name"] or None, user=request.user)
    except DatasetRefused as error:
        form.add_error("file", "; ".join(error.messages))
        return render(request, TEMPLATE, _context(form=form), status=400)
    messages.success(request, f"{done.dataset}: {done.added} face{'s' * (done.added != 1)} added "
                              f"({done.layout} layout), {done.already} it already had.")
    return redirect("dataset-list")


@login_required
def dataset_download(request):
    """The labelled faces (`?confident=` adds the model's sure ones) as the dissertation's layout in a ZIP."""
    form = DatasetExportForm(request.GET)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(form=DatasetImportForm(), export_form=form), status=400)
    out = tempfile.TemporaryFile()  # FileResponse closes it once sent
    dataset_zip_write(out=out, confident=form.cleaned_data["confident"])
    out.seek(0)
    return FileResponse(out, as_attachment=True, content_type="application/zip", filename="toonsite-dataset.zip")


def _context(**extra) -> dict:
    return {"datasets": dataset_list(), "labelled": dataset_export_faces().count(),
            "export_form": DatasetExportForm(), **extra}
