"""Server-rendered pages for workshops: my workshops, the workshop's streams, people and
invitation links, sign-up and joining by link. (The pages that make maps, a new workshop
with its first map included, are `streams.views`: they call `streams`' services, which
`workshops` never imports; these pages reach a workshop's maps only through the reverse
relation `workshop.streams` and the URL names of their pages.)

Forms post to these views, which call the same services as the API and show the services'
per-field messages on failure."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from vsm_site.authenticated import AuthenticatedHttpRequest
from vsm_site.validation import refusal_report
from workshops import selectors, services
from workshops.models import FIVE_RS, Phase, Role


def home(request: HttpRequest) -> HttpResponse:
    workshops = selectors.workshop_list(user=request.user).prefetch_related("streams")
    return render(request, "workshops/home.html", {"workshops": workshops})


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account, sign in and go on to `next` (an invitation link, say)."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    form: UserCreationForm[User] = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url)
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


def join(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: sign in or up first, then become a member and land on the board."""
    invitation = selectors.invitation_get_usable(token=token)
    if not request.user.is_authenticated:
        return render(request, "workshops/join.html", {"invitation": invitation})
    services.invitation_accept(actor=request.user, token=token)
    stream = invitation.workshop.streams.first()
    if stream is not None:
        return redirect(reverse("stream-board", args=[stream.pk]))
    return redirect(reverse("workshop-detail", args=[invitation.workshop_id]))


@login_required
def workshop_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, workshop_id=pk)
    workshop = membership.workshop
    return render(
        request,
        "workshops/detail.html",
        {
            "workshop": workshop,
            "membership": membership,
            "streams": workshop.streams.select_related("based_on"),
            "members": selectors.member_list(user=request.user, workshop_id=pk),
            "invitations": (
                selectors.invitation_list(user=request.user, workshop_id=pk)
                if membership.is_facilitator
                else []
            ),
            "roles": Role.choices,
            "phases": Phase.choices,
            "five_rs": [(label, getattr(workshop, name), help) for name, label, help in FIVE_RS],
        },
    )


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("workshop-detail", args=[pk]))


@login_required
@require_POST
def invitation_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        invitation = services.invitation_create(
            actor=request.user, workshop_id=pk, data={"role": request.POST.get("role", "")}
        )
    except ValidationError as error:
        refusal_report(request, error)
    else:
        messages.success(
            request, f"New {invitation.get_role_display().lower()} link ready to share."
        )
    return _back(pk)


@login_required
@require_POST
def invitation_revoke(
    request: AuthenticatedHttpRequest, pk: int, invitation_id: int
) -> HttpResponse:
    services.invitation_revoke(actor=request.user, workshop_id=pk, invitation_id=invitation_id)
    messages.success(request, "Invitation link revoked.")
    return _back(pk)


@login_required
@require_POST
def member_update(request: AuthenticatedHttpRequest, pk: int, member_id: int) -> HttpResponse:
    data = {key: request.POST[key] for key in ("role", "team") if key in request.POST}
    try:
        services.membership_update(
            actor=request.user, workshop_id=pk, membership_id=member_id, data=data
        )
    except ValidationError as error:
        refusal_report(request, error)
    return _back(pk)
