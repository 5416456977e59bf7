"""A person's network across a programme: everyone they met at any of its events, by
event, with the counts /me states ("27 people from 9 organisations, met at 4 events"),
the follow-ups still to do, and the compact "network so far" a digest carries.

A person met at two events is one person in the counts and appears under each event
(each meeting has its own note and tags); their contact card and vCard are one. What
any contact shows is what that contact shares now: their choices are programme-wide.
"""

from .connections import FOLLOW_UP, FOLLOWED_UP, contacts, matching


def everyone(db, me):
    """Every meeting of the person `me` (a registration) across their programme's events,
    newest event first."""
    return contacts(db, me["person_id"])


def listing(db, me, search=""):
    """What /me lists: {groups: [(event, meetings)] of those matching `search` (all when
    blank), people: how many persons in all, shown: how many match, in_words: the counts,
    to_follow_up: how many persons are tagged "follow up" and not marked followed up}."""
    meetings = everyone(db, me)
    figures = counts(meetings)
    shown = matching(meetings, search)
    return {"groups": by_event(shown), "people": figures["people"], "shown": counts(shown)["people"],
            "in_words": in_words(figures), "to_follow_up": len(still_to_follow_up(meetings))}


def counts(meetings):
    """{people, organisations, events}: distinct persons met, their distinct organisations
    (by name, any case; a blank is none) and the events at which the person met someone."""
    people = {m["other_person_id"]: m["organisation"] for m in meetings}
    return {"people": len(people),
            "organisations": len({org.strip().casefold() for org in people.values() if org.strip()}),
            "events": len({m["event"]["id"] for m in meetings})}


def _plural(count, one, many):
    return f"{count} {one if count == 1 else many}"


def in_words(figures):
    """"27 people from 9 organisations, met at 4 events"."""
    return (f"{_plural(figures['people'], 'person', 'people')} from "
            f"{_plural(figures['organisations'], 'organisation', 'organisations')}, met at "
            f"{_plural(figures['events'], 'event', 'events')}")


def by_event(meetings):
    """[(event, meetings)] in the order given (newest event first), each meeting with
    `elsewhere`: the names of the other events where the same person was met."""
    events = {}
    for m in meetings:
        events.setdefault(m["other_person_id"], []).append(m["event"]["name"])
    groups = {}
    for m in meetings:
        elsewhere = [name for name in events[m["other_person_id"]] if name != m["event"]["name"]]
        groups.setdefault(m["event"]["id"], (m["event"], []))[1].append({**m, "elsewhere": elsewhere})
    return list(groups.values())


def one_per_person(meetings):
    """One contact per person (their latest meeting), with `meetings`: each time they met,
    newest first (what a vCard notes). Order: the order given."""
    people = {}
    for m in meetings:
        if m["other_person_id"] in people:
            people[m["other_person_id"]]["meetings"].append(m)
        else:
            people[m["other_person_id"]] = {**m, "meetings": [m]}
    return list(people.values())


def still_to_follow_up(meetings):
    """The people tagged "follow up" at a meeting not yet marked "followed up", once each."""
    return one_per_person([m for m in meetings if FOLLOW_UP in m["tags"] and FOLLOWED_UP not in m["tags"]])


def earlier(db, person, event):
    """The meetings of `person` (a registration) at events of the programme held before
    `event`, newest first: what a digest calls "your network so far"."""
    if not event.get("programme_id"):
        return []
    return [m for m in everyone(db, person)
            if (m["event"]["starts_at"], m["event"]["id"]) < (event["starts_at"], event["id"])]
