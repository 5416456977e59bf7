"""Organiser pages for kiosk devices: register one (its token shown once) and revoke it."""

import segno
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup

from ... import kiosks as kiosks_domain
from ...db import get_db
from ...errors import Forbidden, KioskError
from ...events import get_event
from ...kiosks import create_kiosk
from ..auth import organiser_only
from . import bp


@bp.post("/events/<slug>/kiosks")
def kiosks(slug):
    form = request.form
    try:
        kiosk, token = create_kiosk(
            get_db(), slug, form.get("name", ""), form.get("workshop") or None,
            mode=form.get("mode", "staffed"), layout=form.get("layout") or None,
            printing=form.get("printing", "browser"),
            default_print_command=current_app.config["PRINT_COMMAND"],
            may_reissue=g.user["role"] == "organiser",  # staff add kiosks; revoking is the organiser's
        )
    except Forbidden:
        raise  # the blueprint's error page, with a 403
    except KioskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.event", slug=slug))
    link = f"{current_app.config['BASE_URL']}{url_for('door.kiosk')}#token={token}"
    # The event page offers "Open" for this kiosk while this session knows its token.
    session["kiosk_links"] = {**session.get("kiosk_links", {}), str(kiosk["id"]): link}
    return render_template(
        "admin/kiosk_token.html", event=get_event(get_db(), slug), kiosk=kiosk, token=token,
        link=link, link_qr=Markup(segno.make_qr(link, error="m").svg_inline(scale=4)),
    )


@bp.post("/events/<slug>/kiosks/revoke")
@organiser_only
def revoke_kiosk(slug):
    name = request.form.get("name", "")
    kiosks_domain.revoke_kiosk(get_db(), slug, name)
    flash(f"Kiosk {name}'s token is revoked; that device can no longer check anyone in.", "success")
    return redirect(url_for("admin.event", slug=slug))
