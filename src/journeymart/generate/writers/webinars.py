"""Zoom-style webinar reports, delivered the day after the webinar: the session summary and
the registration + attendee report. Times are America/New_York wall clock without offset."""

from __future__ import annotations

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate.activity import REGISTRATION_SOURCES, Day
from journeymart.generate.timefmt import local_epoch, local_naive
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import money

SESSIONS_HEADER = ("Webinar ID", "Topic", "Start Time", "Duration (Minutes)", "# Registered", "# Attended",
                   "Platform Cost", "Currency")
REGISTRANTS_HEADER = ("Webinar ID", "Email", "First Name", "Last Name", "Registration Time", "Source",
                      "Attended", "Join Time", "Leave Time", "Time in Session (minutes)")


def write(ctx: Context, day: Day) -> None:
    if not day.webinars_delivered:
        return
    d = ctx.date(day.index)
    P = ctx.people
    sessions, registrants, cost = [], [], 0
    for wd in day.webinars_delivered:
        w = wd.webinar
        start = local_epoch(ctx.date(w.day), w.start_hour, 0, cat.NY)
        sessions.append([w.webinar_id, w.topic, local_naive(np.array([start]), cat.NY)[0], w.duration_minutes,
                         len(wd.person), int(wd.attended.sum()), money(w.cost_micros), "USD"])
        cost += w.cost_micros
        reg = local_naive(wd.registered_s, cat.NY)
        join = local_naive(wd.join_s, cat.NY)
        leave = local_naive(wd.leave_s, cat.NY)
        for k, p in enumerate(wd.person.tolist()):
            first, last = P.full_name(p)
            came = bool(wd.attended[k])
            minutes = int((wd.leave_s[k] - wd.join_s[k]) // 60)
            registrants.append([w.webinar_id, P.email[p], first, last, reg[k],
                                REGISTRATION_SOURCES[int(wd.source[k])], "Yes" if came else "No",
                                join[k] if came else "", leave[k] if came else "", minutes if came else ""])
    ctx.landing.csv("webinars", "sessions", d, f"webinar_sessions_{d.isoformat()}.csv", SESSIONS_HEADER,
                    sessions, spend={"USD": cost})
    ctx.landing.csv("webinars", "registrants", d, f"webinar_registrants_{d.isoformat()}.csv",
                    REGISTRANTS_HEADER, registrants)
