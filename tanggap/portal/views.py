"""The citizen portal's pages: no login, no JavaScript needed. Thin: validate with a form, read
through portal.queries, write through portal.actions. The clock is read once per request."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tanggap.cases.access import access_case
from tanggap.cases.tracking import new_tracking_number
from tanggap.errors import NotFound
from tanggap.portal import actions, queries, spam
from tanggap.portal.forms import ReportForm, TrackingForm


def _not_found(request, message: str):
    return render(request, "portal/not_found.html", {"message": message}, status=404)


def _sent(request, channel, *, tracking_number: str, confidential: bool):
    status_url = reverse("portal_status", args=[tracking_number])
    return render(request, "portal/sent.html", {
        "workspace": channel.workspace,
        "tracking_number": tracking_number,
        "confidential": confidential,
        "status_url": status_url,
        "status_link": request.build_absolute_uri(status_url),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def report(request, slug):
    now = timezone.now()
    channel = queries.portal_channel(slug=slug)
    if channel is None:
        return _not_found(request, _("There is no complaint form at this address."))
    context = {"workspace": channel.workspace, "honeypot_field": spam.HONEYPOT_FIELD}
    if request.method == "GET":
        form = ReportForm(now=now, initial={"form_token": spam.issue_form_token(now)})
        return render(request, "portal/form.html", {**context, "form": form})

    if spam.honeypot_filled(request.POST):
        # Look exactly like success so the bot learns nothing; store nothing at all.
        return _sent(request, channel, tracking_number=new_tracking_number(), confidential=False)
    form = ReportForm(request.POST, request.FILES, now=now)
    # Browsers never refill a file input, so a re-rendered form must ask for the photo again.
    context["photo_dropped"] = bool(request.FILES)
    if not form.is_valid():
        return render(request, "portal/form.html", {**context, "form": form})
    key = spam.rate_limit_key(spam.client_address(request))
    if not actions.consume_rate_limit(key=key, now=now):
        form.add_error(None, _("Too many reports were sent from your connection. Please try "
                               "again in a few minutes."))
        return render(request, "portal/form.html", {**context, "form": form}, status=429)
    submitted = form.report()
    try:
        result = actions.submit_report(channel=channel, report=submitted, now=now)
    except actions.FormAlreadyUsed:
        form.renew_token()
        form.add_error(None, _("This form was already sent. Check your message and send it "
                               "again to make a new report."))
        return render(request, "portal/form.html", {**context, "form": form}, status=409)
    return _sent(request, channel, tracking_number=result.case.tracking_number,
                 confidential=submitted.confidential)


@never_cache
@require_GET
def status_lookup(request):
    form = TrackingForm(request.GET or None)
    if form.is_bound and form.is_valid():
        tracking_number = queries.normalise_tracking_number(form.cleaned_data["tracking"])
        if tracking_number is not None:
            return redirect("portal_status", tracking_number)
        form.add_error("tracking", _("A tracking number looks like TG-AB12-CD34-EF56."))
    return render(request, "portal/status_lookup.html", {"form": form})


@never_cache
@require_GET
def status(request, tracking):
    now = timezone.now()
    tracking_number = queries.normalise_tracking_number(tracking)
    slots = spam.lookup_slots(spam.client_address(request), tracking_number)
    if not actions.take_rate_limit_slots(slots=slots, now=now):
        response = render(request, "portal/too_many.html", status=429)
        response["Retry-After"] = str(int(actions.RATE_WINDOW.total_seconds()))
        return response
    case = queries.public_case(tracking_number=tracking_number) if tracking_number else None
    if case is None:
        return _not_found(request, _("We found no report with the tracking number %(number)s. "
                                     "Check the number and try again.") % {"number": tracking})
    # Only misses count against the limits: a citizen may reload their own page at will.
    actions.give_back_rate_limit_slots(keys=[key for key, _limit in slots])
    return render(request, "portal/status.html", {"case": case, "form": TrackingForm()})


@login_required
@require_GET
def desk_photo(request, case_id, message_id, index):
    """A citizen's photo, for members of the case's workspace only (404 to everyone else)."""
    try:
        access_case(request.user, case_id)
    except NotFound:
        raise Http404() from None
    found = queries.desk_photo(case_id=case_id, message_id=message_id, index=index)
    if found is None:
        raise Http404()
    path, attachment = found
    response = FileResponse(open(path, "rb"), content_type=attachment["content_type"],
                            filename=attachment["name"])
    # The bytes came from the public; never let a browser run them as anything but an image.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
