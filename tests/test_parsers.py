"""Channel parsers: hand-written native files per docs/export_formats.md, real samples from
public repositories (tests/fixtures/*/PROVENANCE.md), and the structural failure modes."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from journeymart import registry
from journeymart.parsers import base
from journeymart.parsers.base import PARSE_ERROR, ROW_NUMBER, Parsed, StructuralError, build_frame

FIXTURES = Path(__file__).parent / "fixtures"
REG = registry.load()
NY = ZoneInfo("America/New_York")


def parse(table: str, data: bytes, name: str | None = None) -> Parsed:
    entity = REG.entity(table)
    channel = REG.channel(entity.channel_id)
    return entity.parse_function()(data, name or entity.pattern.replace("*", "2026-01-05"),
                                   entity, channel)


def rows(parsed: Parsed) -> list[dict]:
    """Records without the parse-error marker (asserted separately where it matters)."""
    return parsed.frame.drop(columns=[PARSE_ERROR]).to_dict("records")


def crlf(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


# ---------------------------------------------------------------------------------------
# minimal native files, one per entity, written the way docs/export_formats.md says

GOOGLE_ADS = crlf(
    "segments.date,customer.id,customer.descriptive_name,customer.currency_code,customer.time_zone,"
    "campaign.id,campaign.name,campaign.advertising_channel_type,metrics.impressions,metrics.clicks,"
    "metrics.cost_micros,metrics.conversions,metrics.conversions_value",
    "2026-01-05,1234567890,Demo Co,USD,America/New_York,111,Brand Search,SEARCH,1000,50,12345678,3.0,150.50",
    "2026-01-05,1234567890,Demo Co,USD,America/New_York,222,Brand Video,VIDEO,5000,20,2500000,0.0,0",
)

META_JSON = json.dumps({
    "data": [{
        "account_id": "1001", "account_name": "Demo EU", "account_currency": "EUR",
        "campaign_id": "2001", "campaign_name": "Prospecting", "adset_id": "3001",
        "adset_name": "Lookalike 1%", "date_start": "2026-01-05", "date_stop": "2026-01-05",
        "impressions": "12000", "reach": "9000", "clicks": "240", "inline_link_clicks": "180",
        "spend": "123.45",
        "actions": [{"action_type": "link_click", "value": "180"},
                    {"action_type": "purchase", "value": "4"},
                    {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "3"}],
        "action_values": [{"action_type": "offsite_conversion.fb_pixel_purchase", "value": "210.50"}],
    }, {
        "account_id": "1001", "account_name": "Demo EU", "account_currency": "EUR",
        "campaign_id": "2001", "campaign_name": "Prospecting", "adset_id": "3002",
        "adset_name": "Broad", "date_start": "2026-01-05", "date_stop": "2026-01-05",
        "impressions": "800", "reach": "700", "clicks": "9", "inline_link_clicks": "7",
        "spend": "8.10",
    }],
    "paging": {"cursors": {"before": "MAZDZD", "after": "MQZDZD"}},
}).encode()

LINKEDIN_TITLE = (
    "Campaign Performance Report",
    '"Report Start: 1/5/2026, 12:00 AM"',
    '"Date Generated: 1/6/2026, 3:12 AM"',
    "Account: Demo UK (508123456)",
    "",
)
LINKEDIN_HEADER = ("Start Date (in UTC),Account Name,Currency,Campaign Group Name,Campaign ID,"
                   "Campaign Name,Campaign Type,Total Spent,Impressions,Clicks,Conversions,Leads")
LINKEDIN_CSV = b"\xef\xbb\xbf" + crlf(
    *LINKEDIN_TITLE, LINKEDIN_HEADER,
    "1/5/2026,Demo UK,GBP,Always on,600001,CFO guide,SPONSORED_UPDATES,1234.56,40000,310,12,9",
    "1/5/2026,Demo UK,GBP,Always on,600002,Webinar,TEXT_AD,15.00,900,4,0,0",
)

TIKTOK_JSON = json.dumps({
    "code": 0, "message": "OK", "request_id": "2026010600000001",
    "data": {"page_info": {"page": 1, "page_size": 1000, "total_number": 2, "total_page": 1},
             "list": [
                 {"dimensions": {"ad_id": "7001", "stat_time_day": "2026-01-05 00:00:00"},
                  "metrics": {"spend": "20.00", "impressions": "5830", "clicks": "69", "reach": "4806",
                              "conversion": "0", "campaign_id": "5001", "campaign_name": "Awareness",
                              "adgroup_name": "AG 1", "ad_name": "Video A", "currency": "USD"}},
                 {"dimensions": {"ad_id": "7002", "stat_time_day": "2026-01-05 00:00:00"},
                  "metrics": {"spend": 3.5, "impressions": 100, "clicks": "-", "reach": "-",
                              "conversion": 0, "campaign_id": 5001, "campaign_name": "Awareness",
                              "adgroup_name": "AG 1", "ad_name": "Video B", "currency": "USD"}},
             ]},
}).encode()

EMAIL_CAMPAIGNS = crlf(
    "campaign_id,campaign_name,subject_line,list_id,send_time,emails_sent,send_cost,currency",
    'c-01,January newsletter,"New year, new plan",L1,2026-01-05T09:00:00-05:00,25000,37.50,USD',
)

EMAIL_ACTIVITY = crlf(
    "campaign_id,email_address,action,timestamp,url",
    "c-01,Ann@Example.com,sent,2026-01-05T14:00:01Z,",
    "c-01,ann@example.com,click,2026-01-05T15:10:00Z,https://example.com/plan?utm_source=email",
)


def ga4_event(name: str, ts_micros: int, **extra) -> dict:
    params = extra.pop("params", {})
    event = {
        "event_date": "20260105", "event_timestamp": str(ts_micros), "event_name": name,
        "event_params": [{"key": k, "value": {"string_value": v if isinstance(v, str) else None,
                                              "int_value": str(v) if isinstance(v, int) else None,
                                              "float_value": None,
                                              "double_value": v if isinstance(v, float) else None}}
                         for k, v in params.items()],
        "event_bundle_sequence_id": "42", "user_id": None, "user_pseudo_id": "111.222",
        "device": {"category": "mobile"}, "geo": {"country": "United States"},
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
        "collected_traffic_source": None, "platform": "WEB",
    }
    event.update(extra)
    return event


GA4_EVENTS = [
    ga4_event("session_start", 1767621600000000,  # 2026-01-05T14:00:00Z
              params={"ga_session_id": 1767621600, "ga_session_number": 2,
                      "page_location": "https://shop.example.com/?gclid=abc", "source": "google",
                      "medium": "cpc", "campaign": "brand"},
              collected_traffic_source={"manual_source": None, "manual_medium": None,
                                        "manual_campaign_name": None, "gclid": "abc"}),
    ga4_event("purchase", 1767622500123456,
              params={"ga_session_id": 1767621600, "transaction_id": "T-9", "value": 59.9,
                      "currency": "USD", "engagement_time_msec": 1200},
              user_id="cust-7", ecommerce={"purchase_revenue": "59.9", "transaction_id": "T-9"}),
]
GA4_NDJSON = ("\n".join(json.dumps(e) for e in GA4_EVENTS) + "\n").encode()

MMP_INSTALLS = crlf(
    "Attributed Touch Type,Attributed Touch Time,Install Time,Event Time,Event Name,Media Source,"
    "Channel,Campaign,AppsFlyer ID,Customer User ID,Platform,Country Code,App ID",
    "click,2026-01-05 10:59:00,2026-01-05 11:02:03,2026-01-05 11:02:03,install,googleadwords_int,"
    "ACI_Search,brand,1767611000000-1111111,,android,US,com.demo.app",
    ",,2026-01-05 12:00:00,2026-01-05 12:00:00,install,organic,,,1767611000000-2222222,cust-9,ios,GB,id123456",
)

MMP_EVENTS = crlf(
    "Event Time,Event Name,Event Value,Event Revenue,Event Revenue Currency,Event Revenue USD,"
    "Media Source,Campaign,AppsFlyer ID,Customer User ID,Platform,App ID",
    '2026-01-05 13:00:00,af_purchase,"{""af_revenue"":""12.50"",""af_currency"":""EUR""}",12.50,EUR,13.60,'
    "Facebook Ads,retarget,1767611000000-1111111,cust-1,android,com.demo.app",
    "2026-01-05 13:05:00,af_login,,,,,organic,,1767611000000-2222222,,ios,id123456",
)

YOUTUBE = crlf(
    "date,channel_id,video_id,live_or_on_demand,subscribed_status,country_code,views,comments,likes,"
    "dislikes,shares,watch_time_minutes,average_view_duration_seconds,"
    "average_view_duration_percentage,annotation_impressions,subscribers_gained,subscribers_lost",
    "20260105,UC123,vid001,on_demand,subscribed,US,1500,3,40,1,5,2250.5,90.02,41.3,0,6,1",
)

WEBINAR_SESSIONS = crlf(
    "Webinar ID,Topic,Start Time,Duration (Minutes),# Registered,# Attended,Platform Cost,Currency",
    "81234567890,Closing the books faster,2026-01-05 11:00:00,60,320,141,79.00,USD",
)

WEBINAR_REGISTRANTS = crlf(
    "Webinar ID,Email,First Name,Last Name,Registration Time,Source,Attended,Join Time,Leave Time,"
    "Time in Session (minutes)",
    "81234567890,bo@example.com,Bo,Berg,2025-12-20 08:15:00,linkedin,Yes,2026-01-05 10:58:00,"
    "2026-01-05 12:00:00,62",
    "81234567890,cy@example.com,Cy,Cole,2025-12-22 19:40:00,email,No,,,",
)

EVENT_COSTS = crlf(
    "cost_line_id,event_id,event_name,city,start_date,end_date,cost_category,amount,currency",
    "EC-1,EV-7,FinTech Berlin,Berlin,2026-01-03,2026-01-04,booth,12500.00,EUR",
)

LEAD_SCANS = crlf(
    "Event ID,Badge ID,Scanned At,Email,Company,Job Title",
    "EV-7,B-100,2026-01-04T10:15:00+01:00,dana@corp.example,Corp GmbH,CFO",
)

CONTENT = crlf(
    "entry_id,posting_date,asset_id,asset_title,asset_type,vendor,period_start,period_end,"
    "target_stage,amount,currency",
    "AP-1,2026-01-05,A-9,CFO guide,ebook,Studio X,2026-01-01,2026-03-31,consideration,4800.00,USD",
)

OFFLINE = crlf(
    "Invoice No,Invoice Date,Agency,Media Type,Market,Station/Publication,Flight Start,Flight End,"
    "Spots,GRPs,Gross Amount,Agency Commission,Net Amount,Currency",
    'INV-2026-001,01/05/2026,Acme Media,TV,New York,WNBC,12/01/2025,12/31/2025,"1,240",310.5,'
    '"12,345.00","1,851.75","10,493.25",USD',
    'INV-2026-002,01/05/2026,Acme Media,Radio,New York,WCBS,12/01/2025,12/31/2025,80,42.0,'
    '"2,000.00",300.00,"1,700.00",USD',
    'Total,,,,,,,,"1,320",352.5,"14,345.00","2,151.75","12,193.25",',
)

ORDERS = crlf(
    "Id,Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Created at,"
    "Source,Customer Id",
    "5001,#1001,eve@example.com,paid,USD,50.00,5.00,4.50,59.50,NEWYEAR,2026-01-05 14:03:11 -0500,web,cust-7",
)

TICKETS = json.dumps({
    "tickets": [
        {"id": 123, "created_at": "2026-01-05T16:00:00Z", "requester": {"email": "eve@example.com"},
         "external_id": "cust-7", "subject": "Where is my order?", "status": "open",
         "via": {"channel": "email"}, "satisfaction_rating": {"score": "good"}},
        {"id": 124, "created_at": "2026-01-05T17:00:00Z", "requester": {"email": "x@example.com"},
         "external_id": None, "subject": "Hi", "status": "new", "via": {"channel": "web"},
         "satisfaction_rating": None},
    ],
    "end_of_stream": True,
}).encode()

REFERRALS = crlf(
    "referral_id,referred_at,referrer_customer_id,referrer_email,referee_email,referral_code",
    "R-1,2026-01-05T12:00:00Z,cust-7,eve@example.com,fay@example.com,EVE10",
)

REVIEWS = json.dumps({"reviews": [
    {"id": "rv-1", "createdAt": "2026-01-05T18:30:00Z",
     "consumer": {"customerId": "cust-7", "email": "eve@example.com"},
     "orderId": "5001", "stars": 5, "title": "Great"},
]}).encode()

BUDGET_PLAN = crlf(
    "Plan Version,Channel,Currency,2026-01,2026-02,2026-03",
    "FY26-v2,google_ads,USD,125000.00,120000.00,130000.00",
    'FY26-v2,meta_ads,EUR,"80,000.00",70000.00,75000.00',
)

FX_RATES = crlf(
    "rate_date,base_currency,quote_currency,rate",
    "2026-01-05,EUR,USD,1.084500",
    "2026-01-05,GBP,USD,1.268900",
    "2026-01-05,USD,USD,1.000000",
)

MINIMAL: dict[str, tuple[bytes, str]] = {
    "google_ads__campaign_stats": (GOOGLE_ADS, "campaign_performance_2026-01-05.csv"),
    "meta_ads__ads_insights": (META_JSON, "ads_insights_2026-01-05.json"),
    "linkedin_ads__campaign_analytics": (LINKEDIN_CSV, "campaign_performance_report_2026-01-05.csv"),
    "tiktok_ads__ad_reports": (TIKTOK_JSON, "ad_report_2026-01-05.json"),
    "email__campaigns": (EMAIL_CAMPAIGNS, "campaigns_2026-01-05.csv"),
    "email__recipient_activity": (EMAIL_ACTIVITY, "recipient_activity_2026-01-05.csv"),
    "ga4__events": (gzip.compress(GA4_NDJSON, mtime=0), "events_20260105.ndjson.gz"),
    "mmp__installs": (MMP_INSTALLS, "installs_2026-01-05.csv"),
    "mmp__in_app_events": (MMP_EVENTS, "in_app_events_2026-01-05.csv"),
    "youtube__channel_basic": (YOUTUBE, "channel_basic_a2_2026-01-05.csv"),
    "webinars__sessions": (WEBINAR_SESSIONS, "webinar_sessions_2026-01-06.csv"),
    "webinars__registrants": (WEBINAR_REGISTRANTS, "webinar_registrants_2026-01-06.csv"),
    "events__event_costs": (EVENT_COSTS, "event_costs_2026-01-05.csv"),
    "events__lead_scans": (LEAD_SCANS, "lead_scans_2026-01-04.csv"),
    "content__production_costs": (CONTENT, "content_cost_ledger_2026-01-05.csv"),
    "offline__agency_invoices": (OFFLINE, "media_invoice_2026-01-05.csv"),
    "commerce__orders": (ORDERS, "orders_export_2026-01-05.csv"),
    "commerce__support_tickets": (TICKETS, "tickets_2026-01-05.json"),
    "commerce__referrals": (REFERRALS, "referrals_2026-01-05.csv"),
    "commerce__reviews": (REVIEWS, "reviews_2026-01-05.json"),
    "finance__budget_plan": (BUDGET_PLAN, "budget_plan_2026-01-05.csv"),
    "finance__fx_rates": (FX_RATES, "fx_rates_2026-01-05.csv"),
}


# ---------------------------------------------------------------------------------------
# registry-driven: every parser resolves and lays out exactly the contract's columns


@pytest.mark.parametrize("entity", REG.entities, ids=lambda e: e.table)
def test_every_registry_parser_resolves_and_matches_layout(entity):
    assert callable(entity.parse_function())
    assert entity.table in MINIMAL, f"add a minimal native file for {entity.table}"
    data, name = MINIMAL[entity.table]
    assert entity.matches(name)
    parsed = parse(entity.table, data, name)
    expected = list(build_frame(entity, []).columns)
    assert list(parsed.frame.columns) == expected
    assert parsed.rows_in >= 1 and len(parsed.frame) >= 1
    for native, warehouse in entity.pii.items():  # raw identifier kept for the loader to hash
        assert native in parsed.frame.columns and warehouse not in parsed.frame.columns
    assert parsed.frame[ROW_NUMBER].tolist() == sorted(parsed.frame[ROW_NUMBER].tolist())
    for col in entity.required:  # the well-formed samples fill every required column
        col = next((n for n, w in entity.pii.items() if w == col), col)
        assert parsed.frame[col].notna().all(), col


# ---------------------------------------------------------------------------------------
# per channel, hand-written files


def test_google_ads_micros_and_crlf():
    p = parse("google_ads__campaign_stats", GOOGLE_ADS)
    first = rows(p)[0]
    assert p.rows_in == 2
    assert first["cost_micros"] == 12345678 and first["cost"] == Decimal("12.345678")
    assert isinstance(first["cost"], Decimal)
    assert first["date"] == date(2026, 1, 5) and first["customer_id"] == "1234567890"
    assert first["conversions"] == Decimal("3.0") and first["conversions_value"] == Decimal("150.50")
    assert first["impressions"] == 1000 and first[ROW_NUMBER] == 1
    assert rows(p)[1]["advertising_channel_type"] == "VIDEO"


def test_meta_graph_json():
    p = parse("meta_ads__ads_insights", META_JSON)
    a, b = rows(p)
    assert p.rows_in == 2
    assert a["spend"] == Decimal("123.45") and a["impressions"] == 12000
    assert a["purchases"] == 3  # pixel purchase preferred over the generic `purchase`
    assert a["purchase_value"] == Decimal("210.50")
    assert json.loads(a["actions"])[0] == {"action_type": "link_click", "value": "180"}
    assert b["actions"] is None and b["purchases"] is None and b[ROW_NUMBER] == 2


def test_linkedin_csv_bom_title_rows_and_totals_footer():
    footer = crlf("Total,,,,,,,1249.56,40900,314,12,9")
    p = parse("linkedin_ads__campaign_analytics", LINKEDIN_CSV + footer)
    assert p.rows_in == 2
    first = rows(p)[0]
    assert first["date"] == date(2026, 1, 5) and first["currency"] == "GBP"
    assert first["total_spent"] == Decimal("1234.56") and first["campaign_id"] == "600001"
    assert first[ROW_NUMBER] == 1
    assert any("5 title row" in n for n in p.notes)
    assert any("totals footer" in n for n in p.notes)


def test_tiktok_daily_strings_numbers_and_dash_nulls():
    p = parse("tiktok_ads__ad_reports", TIKTOK_JSON)
    a, b = rows(p)
    assert a["stat_time"] == datetime(2026, 1, 5) and a["stat_time"].tzinfo is None
    assert a["stat_date"] == date(2026, 1, 5)
    assert a["account_timezone"] == "America/Los_Angeles"
    assert a["spend"] == Decimal("20.00") and a["impressions"] == 5830
    assert b["spend"] == Decimal("3.5") and b["clicks"] is None and b["reach"] is None
    assert b["campaign_id"] == "5001" and b["conversion"] == 0


def test_email_campaigns_and_activity():
    c = rows(parse("email__campaigns", EMAIL_CAMPAIGNS))[0]
    assert c["send_time"] == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    assert c["subject_line"] == "New year, new plan" and c["send_cost"] == Decimal("37.50")
    p = parse("email__recipient_activity", EMAIL_ACTIVITY)
    first = rows(p)[0]
    assert first["email_address"] == "Ann@Example.com"  # raw: the loader hashes it
    assert "email_hash" not in p.frame.columns
    assert first["occurred_at"] == datetime(2026, 1, 5, 14, 0, 1, tzinfo=UTC)
    assert first["url"] is None and rows(p)[1]["action"] == "click"


def test_ga4_handwritten_gzip_flattens_params():
    p = parse("ga4__events", gzip.compress(GA4_NDJSON), "events_20260105.ndjson.gz")
    start, purchase = rows(p)
    assert start["event_timestamp"] == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    assert start["ga_session_id"] == "1767621600" and start["ga_session_number"] == 2
    # collected_traffic_source has no manual_* here: the event params fill source/medium
    assert (start["source"], start["medium"], start["campaign"]) == ("google", "cpc", "brand")
    assert start["gclid"] == "abc" and start["first_touch_source"] == "(direct)"
    assert purchase["purchase_revenue"] == Decimal("59.9") and purchase["currency"] == "USD"
    assert purchase["transaction_id"] == "T-9" and purchase["user_id"] == "cust-7"
    assert purchase["engagement_time_msec"] == 1200 and purchase["device_category"] == "mobile"
    assert purchase[ROW_NUMBER] == 2
    crlf_file = parse("ga4__events", GA4_NDJSON.replace(b"\n", b"\r\n"), "events_20260105.ndjson")
    assert rows(crlf_file) == rows(p)


def test_ga4_invalid_lines_become_quarantinable_rows():
    data = GA4_NDJSON + b'{"event_name": "page_view", broken\n\n[1, 2]\n'
    p = parse("ga4__events", data, "events_20260105.ndjson")
    assert p.rows_in == 4 and len(p.frame) == 4
    bad = rows(p)[2]
    assert bad[ROW_NUMBER] == 3 and bad["event_name"] is None and bad["event_timestamp"] is None
    assert bad["event_params"] == '{"event_name": "page_view", broken'
    assert rows(p)[3][ROW_NUMBER] == 5  # line numbers count the blank line
    assert any(n.startswith("line 3: invalid JSON") for n in p.notes)


def test_mmp_installs_and_events_are_utc():
    i = rows(parse("mmp__installs", MMP_INSTALLS))
    assert i[0]["install_time"] == datetime(2026, 1, 5, 11, 2, 3, tzinfo=UTC)
    assert i[0]["attributed_touch_time"] == datetime(2026, 1, 5, 10, 59, tzinfo=UTC)
    assert i[0]["customer_user_id"] is None and i[1]["media_source"] == "organic"
    e = rows(parse("mmp__in_app_events", MMP_EVENTS))
    assert json.loads(e[0]["event_value"]) == {"af_revenue": "12.50", "af_currency": "EUR"}
    assert e[0]["event_revenue"] == Decimal("12.50") and e[0]["event_revenue_currency"] == "EUR"
    assert e[1]["event_revenue"] is None and e[1]["event_value"] is None


def test_youtube_channel_basic():
    r = rows(parse("youtube__channel_basic", YOUTUBE))[0]
    assert r["date"] == date(2026, 1, 5) and r["views"] == 1500
    assert r["watch_time_minutes"] == Decimal("2250.5") and r["subscribers_lost"] == 1


def test_webinars_naive_times_in_account_zone():
    s = rows(parse("webinars__sessions", WEBINAR_SESSIONS))[0]
    assert s["start_time"] == datetime(2026, 1, 5, 11, 0, tzinfo=NY)
    assert s["start_time"].utcoffset() == timedelta(hours=-5)
    assert (s["registrants"], s["attendees"], s["platform_cost"]) == (320, 141, Decimal("79.00"))
    p = parse("webinars__registrants", WEBINAR_REGISTRANTS)
    a, b = rows(p)
    assert a["attended"] is True and b["attended"] is False
    assert a["email"] == "bo@example.com" and "First Name" not in p.frame.columns
    assert a["time_in_session_minutes"] == 62 and b["join_time"] is None


def test_events_costs_and_lead_scans():
    c = rows(parse("events__event_costs", EVENT_COSTS))[0]
    assert c["amount"] == Decimal("12500.00") and c["end_date"] == date(2026, 1, 4)
    s = rows(parse("events__lead_scans", LEAD_SCANS))[0]
    assert s["scanned_at"] == datetime(2026, 1, 4, 9, 15, tzinfo=UTC)
    assert s["email"] == "dana@corp.example"


def test_content_ledger():
    r = rows(parse("content__production_costs", CONTENT))[0]
    assert r["period_end"] == date(2026, 3, 31) and r["amount"] == Decimal("4800.00")


def test_offline_invoices_thousands_us_dates_and_footer():
    p = parse("offline__agency_invoices", OFFLINE)
    assert p.rows_in == 2 and len(p.frame) == 2
    r = rows(p)[0]
    assert r["gross_amount"] == Decimal("12345.00") and r["net_amount"] == Decimal("10493.25")
    assert r["agency_commission"] == Decimal("1851.75") and r["spots"] == 1240
    assert r["invoice_date"] == date(2026, 1, 5) and r["flight_start"] == date(2025, 12, 1)
    assert r["vehicle"] == "WNBC" and r["grps"] == Decimal("310.5")
    assert any("totals footer" in n for n in p.notes)


def test_commerce_orders_tickets_referrals_reviews():
    o = rows(parse("commerce__orders", ORDERS))[0]
    assert o["created_at"] == datetime(2026, 1, 5, 19, 3, 11, tzinfo=UTC)
    assert o["total"] == Decimal("59.50") and o["email"] == "eve@example.com"
    assert o["order_id"] == "5001" and o["source_name"] == "web"
    t1, t2 = rows(parse("commerce__support_tickets", TICKETS))
    assert t1["ticket_id"] == "123" and t1["requester_email"] == "eve@example.com"
    assert t1["via_channel"] == "email" and t1["satisfaction_rating"] == "good"
    assert t2["satisfaction_rating"] is None and t2["customer_id"] is None
    ref = rows(parse("commerce__referrals", REFERRALS))[0]
    assert ref["referee_email"] == "fay@example.com" and ref["referrer_email"] == "eve@example.com"
    rv = rows(parse("commerce__reviews", REVIEWS))[0]
    assert rv["rating"] == 5 and rv["customer_id"] == "cust-7"
    assert rv["reviewer_email"] == "eve@example.com"


def test_finance_budget_plan_unpivots_and_fx():
    p = parse("finance__budget_plan", BUDGET_PLAN)
    assert p.rows_in == 2 and len(p.frame) == 6
    recs = rows(p)
    assert recs[0] == {"plan_version": "FY26-v2", "channel": "google_ads", "month": date(2026, 1, 1),
                       "planned_amount": Decimal("125000.00"), "currency": "USD", ROW_NUMBER: 1}
    assert recs[3]["planned_amount"] == Decimal("80000.00") and recs[3][ROW_NUMBER] == 2
    blank = BUDGET_PLAN.replace(b"70000.00", b"") + crlf("Total,,,205000.00,120000.00,130000.00")
    p = parse("finance__budget_plan", blank)
    assert p.rows_in == 2 and rows(p)[4]["planned_amount"] is None  # NULL, flagged by the suite
    assert any("totals footer" in n for n in p.notes)
    fx = rows(parse("finance__fx_rates", FX_RATES))
    assert fx[0]["rate"] == Decimal("1.084500") and fx[2]["quote_currency"] == "USD"


# ---------------------------------------------------------------------------------------
# cell casts: bad values stay visible


def test_uncastable_money_and_decimal_comma_stay_original_strings():
    data = CONTENT + crlf(
        "AP-2,2026-01-05,A-9,CFO guide,ebook,Studio X,2026-01-01,2026-03-31,consideration,TBD,USD",
        "AP-3,2026-01-05,A-9,CFO guide,ebook,Studio X,2026-01-01,2026-03-31,consideration,\"12,5\",USD",
        "AP-4,2026-01-05,A-9,CFO guide,ebook,Studio X,2026-01-01,2026-03-31,consideration,\"1.234,56\",EUR",
        "AP-5,2026-01-05,A-9,CFO guide,ebook,Studio X,2026-01-01,2026-03-31,consideration,\"1,234,567.8\",USD",
        "AP-6,2026-01-05,A-9,CFO guide,ebook,Studio X,2026-01-01,31/03/2026,consideration,,USD",
    )
    p = parse("content__production_costs", data)
    amounts = [r["amount"] for r in rows(p)]
    assert amounts == [Decimal("4800.00"), "TBD", "12,5", "1.234,56", Decimal("1234567.8"), None]
    assert rows(p)[5]["period_end"] == "31/03/2026"


def test_google_cost_micros_uncastable_keeps_string_in_both_columns():
    bad = GOOGLE_ADS.replace(b"12345678", b"12.3e6")
    r = rows(parse("google_ads__campaign_stats", bad))[0]
    assert r["cost_micros"] == "12.3e6" and r["cost"] == "12.3e6"


def test_rows_with_a_wrong_cell_count_stay_uncast_so_they_quarantine():
    data = GOOGLE_ADS + crlf(
        "2026-01-05,1234567890,Demo Co,USD,America/New_York,333,Shifted, name,SEARCH,10,1,1000000,0,0",
        "2026-01-05,1234567890,Demo Co,USD",
    )
    p = parse("google_ads__campaign_stats", data)
    assert p.rows_in == 4 and len(p.frame) == 4
    extra, short = rows(p)[2:]
    assert extra["date"] == "2026-01-05" and extra["impressions"] == "SEARCH"
    assert extra["cost"] == "1" and extra[ROW_NUMBER] == 3
    assert short["date"] == "2026-01-05" and short["impressions"] is None
    assert any("cell count different from the header (first: row 3)" in n for n in p.notes)


# ---------------------------------------------------------------------------------------
# structural errors: the whole file is refused with a reason a person can act on


_STRUCTURAL_ERRORS = [
    ("google_ads__campaign_stats", GOOGLE_ADS.decode().encode("utf-16"), None, "UTF-16"),
    ("events__event_costs", EVENT_COSTS.replace(b"Berlin", "München".encode("latin-1")), None,
     "not valid UTF-8"),
    ("ga4__events", b"\x1f\x8b\x08\x00garbage", "events_20260105.ndjson.gz", "corrupt gzip"),
    ("ga4__events", gzip.compress(GA4_NDJSON, mtime=0)[:-12], "events_20260105.ndjson.gz", "corrupt gzip"),
    ("google_ads__campaign_stats", GOOGLE_ADS.replace(b"metrics.cost_micros", b"metrics.cost"), None,
     "metrics.cost_micros"),
    ("commerce__orders", ORDERS.replace(b"Customer Id", b"Customer"), None, "Customer Id"),
    ("content__production_costs", b"", None, "no data rows"),
    ("content__production_costs", CONTENT.split(b"\r\n")[0] + b"\r\n", None, "file has no data rows"),
    ("offline__agency_invoices", OFFLINE.split(b"\r\n")[0] + b"\r\n" + OFFLINE.split(b"\r\n")[3],
     None, "file has no data rows"),
    ("linkedin_ads__campaign_analytics", crlf(*LINKEDIN_TITLE), None, "no header row"),
    ("commerce__support_tickets", b'{"tickets": [{"id": 1,}]}', None, "invalid JSON at line 1"),
    ("commerce__support_tickets", b'{"results": []}', None, "'tickets'"),
    ("commerce__reviews", b'{"reviews": []}', None, "file has no data rows"),
    ("tiktok_ads__ad_reports", b'{"code": 40100, "message": "Access token expired", "data": {}}',
     None, "Access token expired"),
    ("ga4__events", b"not json\n{broken\n", "events_20260105.ndjson", "no line is a valid JSON object"),
    ("ga4__events", b"\n\n", "events_20260105.ndjson", "file has no data rows"),
    ("meta_ads__ads_insights", b'{"error": {"message": "Invalid OAuth access token"}}', None,
     "Invalid OAuth access token"),
    ("finance__budget_plan", crlf("Plan Version,Channel,Currency,Notes", "v1,google_ads,USD,x"), None,
     "no month columns"),
]


# Ids name the case, never the bytes: xdist refuses a run whose workers collected different ids,
# and bytes made at collection time (a gzip header's mtime) differ from one worker to the next.
@pytest.mark.parametrize(("table", "data", "name", "reason"), _STRUCTURAL_ERRORS,
                         ids=[f"{t}-{i}" for i, (t, *_) in enumerate(_STRUCTURAL_ERRORS)])
def test_structural_errors(table, data, name, reason):
    with pytest.raises(StructuralError, match=reason.replace("(", r"\(")):
        parse(table, data, name)


@pytest.mark.parametrize("text", ["", " ", "\t\r\n", "\u00a0", "\u2003 \u3000", "{}", " {\"a\": 1} ", "\x1c"])
def test_json_text_is_kept_unless_blank(text):
    """to_json keeps JSON text as it came and reads whitespace-only text as null: the
    definition is `text.strip()`, which the cast avoids calling (it copies the text)."""
    assert base.to_json(text) == (text if text.strip() else None)


def _gzip_with_header_fields(data: bytes) -> bytes:
    """A member whose header holds the optional name and comment fields (FNAME, FCOMMENT)."""
    head = b"\x1f\x8b\x08\x18" + b"\0\0\0\0" + b"\x00\xff" + b"events.ndjson\0" + b"from a test\0"
    return head + gzip.compress(data, mtime=0)[10:]


# mtime=0: the same bytes in every process (pytest-xdist's workers must collect equal ids)
_GOOD_GZ = gzip.compress(GA4_NDJSON, mtime=0)
_GZIP_CASES = [
    ("two members", _GOOD_GZ + gzip.compress(b'{"event_name": "x"}\n', mtime=0)),
    ("an empty member", gzip.compress(b"", mtime=0)),
    ("trailing zeros", _GOOD_GZ + b"\0" * 10),
    ("truncated", _GOOD_GZ[: len(_GOOD_GZ) // 2]),
    ("no trailer", _GOOD_GZ[:-4]),
    ("a flipped bit in the deflate stream", _GOOD_GZ[:30] + bytes([_GOOD_GZ[30] ^ 0xFF]) + _GOOD_GZ[31:]),
    ("a wrong CRC", _GOOD_GZ[:-8] + bytes([_GOOD_GZ[-8] ^ 1]) + _GOOD_GZ[-7:]),
    ("bytes after the last member", _GOOD_GZ + b"garbage"),
    ("the magic number only", b"\x1f\x8b"),
    ("an unknown method", b"\x1f\x8b\x07" + _GOOD_GZ[3:]),
    ("a wrong length", _GOOD_GZ[:-4] + bytes([_GOOD_GZ[-4] ^ 1]) + _GOOD_GZ[-3:]),
    ("a member with a file name and comment", _gzip_with_header_fields(GA4_NDJSON)),
    ("a named member, then another", _gzip_with_header_fields(GA4_NDJSON) + _GOOD_GZ),
]


@pytest.mark.parametrize(("case", "data"), _GZIP_CASES, ids=[case for case, _ in _GZIP_CASES])
def test_gunzip_reads_and_fails_like_the_standard_library(case, data):
    """base.decompress uses ISA-L for speed; what it returns, and the reason a bad file is
    refused with, are the standard library's (ISA-L alone calls trailing bytes "truncated",
    and raises an error type the reason handler did not know)."""
    try:
        expected: bytes | str = gzip.decompress(data)
    except Exception as exc:  # noqa: BLE001 - the reference outcome, whatever it is
        expected = f"corrupt gzip: {exc}"
    try:
        got: bytes | str = base.decompress(data, "events_20260105.ndjson.gz")
    except StructuralError as exc:
        got = str(exc)
    if isinstance(expected, str):
        assert isinstance(got, str) and expected.split(": ", 1)[1].split(" (")[0] in got, (case, got)
    else:
        assert got == expected, case


# ---------------------------------------------------------------------------------------
# real samples from public repositories (see tests/fixtures/*/PROVENANCE.md)

KEBOOLA = FIXTURES / "keboola_meta_facebook_ads_insights"


def test_keboola_meta_campaign_rows_query_42():
    p = parse("meta_ads__ads_insights", (KEBOOLA / "query_42_insights.csv").read_bytes(),
              "query_42_insights.csv")
    assert p.rows_in == 511 and len(p.frame) == 511
    first = rows(p)[0]
    assert first["spend"] == Decimal("14.9") and first["impressions"] == 568
    assert first["campaign_id"] == "120240477971130604" and first["date_start"] == date(2026, 3, 4)
    assert first["adset_id"] is None  # campaign-level query: no adset columns
    assert first["account_currency"] == "EUR"  # no currency column: Meta account default
    assert sum(p.frame["spend"]) == Decimal("15229.72")
    assert any("account currency EUR assumed" in n for n in p.notes)


def test_keboola_meta_long_action_rows_query_25_head():
    p = parse("meta_ads__ads_insights", (KEBOOLA / "query_25_insights_head.csv").read_bytes(),
              "query_25_insights_head.csv")
    assert p.rows_in == 375  # CSV data rows as they arrived
    assert len(p.frame) == 55  # one record per (date_start, campaign_id)
    assert "collapsed 375 Keboola long row(s) into 55 record(s)" in p.notes
    first = rows(p)[0]
    assert first[ROW_NUMBER] == 1 and first["date_start"] == date(2026, 2, 5)
    assert json.loads(first["actions"]) == [
        {"action_type": "link_click", "value": "1"},
        {"action_type": "page_engagement", "value": "1"},
        {"action_type": "post_engagement", "value": "1"},
    ]
    assert first["spend"] is None  # action-only day: the suite flags the missing spend
    metrics = rows(p)[-1]  # the only metrics row in the head (file line 376)
    assert metrics[ROW_NUMBER] == 375 and metrics["campaign_id"] == "120240576453960604"
    assert metrics["spend"] == Decimal("9.19") and metrics["impressions"] == 446
    assert metrics["inline_link_clicks"] == 0 and metrics["account_currency"] == "EUR"
    assert metrics["actions"] is None
    same_day = [r for r in rows(p) if r["date_start"] == date(2026, 2, 7)
                and r["campaign_id"] == "120240448532060604"][0]
    assert len(json.loads(same_day["actions"])) == 15


def test_ga4_real_purchase_event_and_gzip():
    raw = (FIXTURES / "ga4" / "purchase_input.ndjson").read_bytes()
    plain = parse("ga4__events", raw, "events_20231215.ndjson")
    zipped = parse("ga4__events", gzip.compress(raw), "events_20231215.ndjson.gz")
    assert rows(plain) == rows(zipped)
    assert plain.rows_in == 1
    e = rows(plain)[0]
    assert e["event_timestamp"] == datetime(2023, 12, 15, 14, 45, 59, 604143, tzinfo=UTC)
    assert e["event_date"] == date(2023, 12, 15)
    assert e["ga_session_id"] == "1702650951" and e["ga_session_number"] == 1
    assert e["transaction_id"] == "257059" and e["purchase_revenue"] == Decimal("31.0")
    assert e["currency"] == "EUR" and e["engagement_time_msec"] == 6
    assert e["page_referrer"] == "https://www.paypal.com/"
    assert (e["first_touch_source"], e["first_touch_medium"]) == ("google", "cpc")
    assert e["source"] is None  # collected_traffic_source is null and no source param
    assert e["device_category"] == "desktop" and e["country"] == "Germany"
    params = {p["key"]: p["value"] for p in json.loads(e["event_params"])}
    assert len(params) == 13 and params["tax"]["double_value"] == "4.9495798319328"


def test_ga4_real_source_medium_precedence():
    p = parse("ga4__events", (FIXTURES / "ga4" / "source_medium_input.ndjson").read_bytes(),
              "events_20231019.ndjson")
    assert p.rows_in == 3
    second = rows(p)[1]
    # collected_traffic_source.manual_* wins over the event params (param campaign is cpc_campaign)
    assert (second["source"], second["medium"], second["campaign"]) == ("google", "organic", "(organic)")
    assert second["gclid"] == "12345"  # cts.gclid is null: taken from the event param
    assert second["event_timestamp"] == datetime(2023, 10, 19, 7, 3, 6, 127385, tzinfo=UTC)
    g = rows(parse("ga4__events", (FIXTURES / "ga4" / "url_gclid_input.ndjson").read_bytes(),
                   "events_20231019.ndjson"))[0]
    assert g["page_location"].endswith("?gclid=12345") and g["gclid"] is None


def test_linkedin_real_api_json():
    p = parse("linkedin_ads__campaign_analytics",
              (FIXTURES / "airbyte_linkedin_ads_fixture" / "ad_campaign_analytics_response_1.json").read_bytes(),
              "campaign_performance_report_2023-01-03.json")
    assert p.rows_in == 2
    a, b = rows(p)
    assert a["date"] == date(2023, 1, 2) and b["date"] == date(2023, 1, 3)
    assert b["total_spent"] == Decimal("509.980") and b["currency"] == "USD"
    assert b["campaign_id"] == "1111" and b["clicks"] == 408 and b["impressions"] == 20210


def test_tiktok_real_hourly_response():
    p = parse("tiktok_ads__ad_reports",
              (FIXTURES / "airbyte_tiktok_marketing_fixture" / "ads_reports_hourly.json").read_bytes(),
              "ad_report_2024-01-01.json")
    assert p.rows_in == 2
    a, b = rows(p)
    assert a["stat_time"] == datetime(2024, 1, 1, 9, 0) and b["stat_time"] == datetime(2024, 1, 1, 10, 0)
    assert a["stat_date"] == date(2024, 1, 1) and a["account_timezone"] == "America/Los_Angeles"
    assert a["advertiser_id"] == "872746382648" and a["ad_id"] == "11111111"
    assert a["campaign_id"] == "1714125042508817" and a["spend"] == Decimal("20.00")
    assert (a["impressions"], a["clicks"], a["reach"], a["conversion"]) == (5830, 69, 4806, 0)
    assert a["currency"] == "USD"  # no currency metric in the sample: account currency
