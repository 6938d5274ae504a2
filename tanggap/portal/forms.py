"""The portal's forms. They validate and normalise citizen input and nothing more; storing it
is portal.actions' job."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from tanggap.cases.cleaning import text_validator
from tanggap.cases.models import CaseKind
from tanggap.portal import spam
from tanggap.portal.photos import MAX_PHOTO_BYTES, CleanPhoto, PhotoRefused, clean_photo

_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_SIX_PLACES = Decimal("0.000001")


def normalise_contact(raw: str) -> str | None:
    """An Indonesian phone number as +62…, an email lower-cased, or None if it is neither.

    The same citizen typing 0812-3456-7890 one day and +62 812 3456 7890 the next must land on
    the same contact, since the contact's id is derived from this value.
    """
    value = raw.strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            return None
        return value.lower()
    digits = _PHONE_PUNCTUATION.sub("", value)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    if not digits.isdigit() or not 9 <= len(digits) <= 15:
        return None
    return "+" + digits


class CoordinateField(forms.DecimalField):
    """A decimal degree, accepting the Indonesian decimal comma and a phone's long fractions
    (rounded to six places, about 10 cm, which is all the column keeps)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        number = super().to_python(value)
        if number is None:
            return None
        try:
            return number.quantize(_SIX_PLACES, rounding=ROUND_HALF_EVEN)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


@dataclass(frozen=True)
class Report:
    """A valid submission, as portal.actions.submit_report takes it."""

    nonce: str
    kind: str
    text: str
    name: str
    contact: str
    anonymous: bool
    confidential: bool
    latitude: Decimal | None
    longitude: Decimal | None
    address: str
    photo: CleanPhoto | None


class ReportForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    contact = forms.CharField(
        label=_("Phone or email"), max_length=200, required=False,
        help_text=_("So we can reach you if we need more details. Never shown publicly."),
    )
    anonymous = forms.BooleanField(
        label=_("Send anonymously"), required=False,
        help_text=_("We will not keep your name or contact. We cannot call you back."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of report"), choices=CaseKind.choices, initial=CaseKind.ADUAN,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Your message"), max_length=settings.TANGGAP_MAX_MESSAGE_CHARS,
        validators=[text_validator],
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, where and since when."),
    )
    confidential = forms.BooleanField(
        label=_("Confidential"), required=False,
        help_text=_("Your message will not be shown on the public status page."),
    )
    photo = forms.FileField(
        label=_("Photo"), required=False,
        help_text=_("JPEG, PNG or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    latitude = CoordinateField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("For example -1.265386"),
    )
    longitude = CoordinateField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("For example 116.831200"),
    )
    address = forms.CharField(
        label=_("Address or landmark"), max_length=300, required=False,
    )
    # Not required: a missing token gets the same "send again" answer as an expired one.
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.token: spam.FormToken | None = None

    def renew_token(self) -> None:
        """Render the form again with a new token (its minimum fill time counts from now)."""
        self.data = self.data.copy()
        self.data["form_token"] = spam.issue_form_token(self.now)

    def clean_contact(self) -> str:
        raw = self.cleaned_data["contact"]
        if not raw.strip():
            return ""
        normalised = normalise_contact(raw)
        if normalised is None:
            raise ValidationError(
                _("Enter a phone number (such as 0812 3456 7890) or an email address."),
                code="invalid",
            )
        return normalised

    def clean_photo(self) -> CleanPhoto | None:
        photo = self.cleaned_data.get("photo")
        if not photo:
            return None
        if photo.size > MAX_PHOTO_BYTES:
            raise ValidationError(_("The photo is larger than 5 MB."), code="too_large")
        try:
            return clean_photo(photo)
        except PhotoRefused as refused:
            if refused.reason == "too_many_pixels":
                raise ValidationError(_("The photo has more than 40 megapixels."),
                                      code="too_many_pixels") from None
            raise ValidationError(
                _("This file is not a JPEG, PNG or WebP picture, or it is damaged."),
                code="not_image",
            ) from None

    def clean_form_token(self) -> str:
        raw = self.cleaned_data["form_token"]
        token = spam.read_form_token(raw)
        if token is None or spam.form_age(token, self.now) > spam.MAX_FORM_AGE:
            # Expired or tampered: hand out a fresh token so the next send can pass.
            self.renew_token()
            raise ValidationError(
                _("This form was open too long. Check your message and send it again."),
                code="expired",
            )
        if spam.form_age(token, self.now) < spam.MIN_FILL_TIME:
            raise ValidationError(
                _("That was sent too quickly. Wait a few seconds and send it again."),
                code="too_fast",
            )
        self.token = token
        return raw

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if latitude is not None and longitude is None and "longitude" not in self.errors:
            self.add_error("longitude", _("Give the longitude too, or leave both empty."))
        if longitude is not None and latitude is None and "latitude" not in self.errors:
            self.add_error("latitude", _("Give the latitude too, or leave both empty."))
        if "form_token" in self.errors:
            # A token problem is about the whole form, not a hidden field nobody can see.
            for error in self.errors.pop("form_token").as_data():
                self.add_error(None, error)
        return data

    def report(self) -> Report:
        data = self.cleaned_data
        anonymous = data["anonymous"]
        return Report(
            nonce=self.token.nonce,
            kind=data["kind"],
            text=data["text"],
            # Anonymous means anonymous even if the citizen typed a name first.
            name="" if anonymous else data["name"].strip(),
            contact="" if anonymous else data["contact"],
            anonymous=anonymous,
            confidential=data["confidential"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            address=data["address"].strip(),
            photo=data["photo"],
        )


class TrackingForm(forms.Form):
    tracking = forms.CharField(
        label=_("Tracking number"), max_length=40,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off",
                                      "placeholder": "TG-XXXX-XXXX-XXXX"}),
    )
