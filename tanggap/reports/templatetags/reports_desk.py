"""`{% case_publication case membership %}`: on the desk's case page, whether the case is public
on the transparency page (and the button that changes it, for supervisors and admins), and what
an Open311 client sent with it."""

from django import template

register = template.Library()


@register.inclusion_tag("reports/_case_publication.html")
def case_publication(case, membership):
    from tanggap.reports.models import Open311Request, PublicMark

    mark = PublicMark.objects.filter(case_id=case.pk).select_related("marked_by").first()
    return {"case": case, "membership": membership, "mark": mark,
            "open311": Open311Request.objects.filter(case_id=case.pk).first()}
