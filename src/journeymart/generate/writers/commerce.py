"""Commerce and CRM: Shopify orders export, Zendesk tickets, referral programme, reviews.

Raw e-mail addresses are the native shape here; hashing them is the loader's job.
"""

from __future__ import annotations

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate.activity import ORDER_SOURCES, Day
from journeymart.generate.timefmt import local_shopify, utc_z
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import cents

ORDERS_HEADER = ("Id", "Name", "Email", "Financial Status", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
                 "Discount Code", "Created at", "Source", "Customer Id")
REFERRALS_HEADER = ("referral_id", "referred_at", "referrer_customer_id", "referrer_email", "referee_email",
                    "referral_code")
TICKET_STATUS = ("new", "open", "pending", "solved")
TICKET_VIA = ("email", "web", "chat")
TICKET_RATING = ("unoffered", "offered", "good", "bad")


def write_orders(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    o, P = day.orders, ctx.people
    rng = ctx.rng(day.index, 4)
    created = local_shopify(o.created_s, cat.NY)
    status = np.where(rng.random(len(o)) < 0.97, "paid", "pending")
    rows = [[int(o.order_id[k]), f"#{int(o.order_number[k])}", P.email[int(o.person[k])], str(status[k]), "USD",
             cents(o.subtotal_c[k]), cents(o.shipping_c[k]), cents(o.tax_c[k]), cents(o.total_c[k]),
             cat.DISCOUNT_CODES[int(o.discount[k])], created[k], ORDER_SOURCES[int(o.source[k])],
             P.customer_id[int(o.person[k])]] for k in range(len(o))]
    ctx.landing.csv("commerce", "orders", d, f"orders_export_{d.isoformat()}.csv", ORDERS_HEADER, rows)


def write_tickets(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    t, P = day.tickets, ctx.people
    order = np.argsort(t.at_s, kind="stable")
    stamps = utc_z(t.at_s[order])
    tickets = []
    for j, k in enumerate(order.tolist()):
        p = int(t.person[k])
        tickets.append({
            "id": int(t.ticket_id[k]), "created_at": stamps[j], "requester": {"email": P.email[p]},
            "external_id": P.customer_id[p], "subject": cat.TICKET_SUBJECTS[int(t.subject[k])],
            "status": TICKET_STATUS[int(t.status[k])], "via": {"channel": TICKET_VIA[int(t.via[k])]},
            "satisfaction_rating": {"score": TICKET_RATING[int(t.rating[k])]},
        })
    ctx.landing.json("commerce", "support_tickets", d, f"tickets_{d.isoformat()}.json",
                     {"tickets": tickets, "end_of_stream": True}, len(tickets))


def write_referrals(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    r, P = day.referrals, ctx.people
    stamps = utc_z(r.at_s)
    rows = [[f"REF-{int(r.referral_id[k]):06d}", stamps[k], P.customer_id[int(r.referrer[k])],
             P.email[int(r.referrer[k])], P.email[int(r.referee[k])], f"FRIEND-{P.customer_id[int(r.referrer[k])]}"]
            for k in range(len(r.referral_id))]
    rows.sort(key=lambda row: (row[1], row[0]))
    ctx.landing.csv("commerce", "referrals", d, f"referrals_{d.isoformat()}.csv", REFERRALS_HEADER, rows)


def write_reviews(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    r, P = day.reviews, ctx.people
    order = np.argsort(r.at_s, kind="stable")
    stamps = utc_z(r.at_s[order])
    reviews = []
    for j, k in enumerate(order.tolist()):
        p = int(r.person[k])
        stars = int(r.stars[k])
        reviews.append({
            "id": f"{ctx.seed % 0xFFFF:04x}{int(r.review_key[k]):020x}",
            "createdAt": stamps[j], "consumer": {"customerId": P.customer_id[p], "email": P.email[p]},
            "orderId": str(int(r.order_id[k])), "stars": stars, "title": cat.REVIEW_TITLES[stars],
        })
    ctx.landing.json("commerce", "reviews", d, f"reviews_{d.isoformat()}.json", {"reviews": reviews}, len(reviews))


def write(ctx: Context, day: Day) -> None:
    write_orders(ctx, day)
    write_tickets(ctx, day)
    write_referrals(ctx, day)
    write_reviews(ctx, day)
