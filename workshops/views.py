"""Server-rendered pages for workshops: home (my workshops), sign-up, joining by link."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from streams.models import ValueStream
from workshops import selectors, services


def home(request: HttpRequest) -> HttpResponse:
    workshops = selectors.workshop_list(user=request.user)
    return render(request, "workshops/home.html", {"workshops": workshops})


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account, sign in and go on to `next` (an invitation link, say)."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    form = UserCreationForm(request.POST or None)
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
    stream = ValueStream.objects.filter(workshop_id=invitation.workshop_id).first()
    if stream is not None:
        return redirect(reverse("stream-board", args=[stream.pk]))
    return redirect(reverse("workshop-detail", args=[invitation.workshop_id]))


@login_required
def workshop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, workshop_id=pk)
    return render(
        request,
        "workshops/detail.html",
        {
            "workshop": membership.workshop,
            "membership": membership,
            "streams": membership.workshop.streams.all(),
            "members": selectors.member_list(user=request.user, workshop_id=pk),
        },
    )
