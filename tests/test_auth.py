"""Passwords, login throttling, API tokens and the session secret (issue 11), on both backends."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from bulkpoc.domain.errors.types import UnknownUser
from bulkpoc.services.auth import (
    FAILURE_WINDOW,
    LAST_USED_EVERY,
    LOCKOUT,
    MAX_FAILED_LOGINS,
    MAX_FAILED_PER_ADDRESS,
    TOKEN_PREFIX,
    LoginRefused,
    PasswordRejected,
    TokenRejected,
    authenticate,
    client_key,
    create_token,
    list_tokens,
    revoke_token,
    session_secret,
    set_password,
    user_for_token,
)
from bulkpoc.services.sessions import end_session, session_user, start_session
from bulkpoc.store import schema

PASSWORD = "correct horse battery"
WRONG = "Wrong user name or password."
T0 = dt.datetime(2026, 3, 1, 9, 0)
ONE_MINUTE = dt.timedelta(minutes=1)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def fail(store, name: str, times: int, start: dt.datetime, step: dt.timedelta = ONE_MINUTE):
    """``times`` wrong passwords for ``name``, ``step`` apart; the time of the last one."""
    at = start
    for attempt in range(times):
        at = start + attempt * step
        with pytest.raises(LoginRefused, match=f"^{WRONG}$"):
            authenticate(store, name, "not the password", now=at)
    return at


@pytest.fixture
def admin(empty_store):
    set_password(empty_store, "admin", PASSWORD)
    return empty_store


# --- passwords ----------------------------------------------------------------------------


def test_the_store_keeps_an_argon2_hash_never_the_password(admin):
    stored = admin.get_user("admin").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


def test_the_right_password_logs_in_and_a_wrong_one_is_refused(admin):
    user = authenticate(admin, "admin", PASSWORD)
    assert user.name == "admin"
    assert "Points of Contact Create" in user.permissions
    with pytest.raises(LoginRefused, match=f"^{WRONG}$"):
        authenticate(admin, "admin", PASSWORD.upper())


def test_an_unknown_user_and_a_user_without_a_password_get_the_same_sentence(admin):
    admin.add_user("nopass", ["Skills Edit"])
    for name in ("nobody", "nopass", "", "x" * 300):
        with pytest.raises(LoginRefused) as refused:
            authenticate(admin, name, PASSWORD)
        assert str(refused.value) == WRONG
        assert refused.value.retry_after is None


@pytest.mark.parametrize("password", ["", "short", "7 chars"])
def test_a_short_password_is_refused_in_one_sentence_and_nothing_changes(admin, password):
    with pytest.raises(PasswordRejected) as rejected:
        set_password(admin, "admin", password)
    assert str(rejected.value) == "A password needs at least 8 characters; choose a longer one."
    assert authenticate(admin, "admin", PASSWORD).name == "admin"


def test_setting_a_password_for_an_unknown_user_names_the_user(admin):
    with pytest.raises(UnknownUser, match="'ghost'"):
        set_password(admin, "ghost", PASSWORD)


def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_login(admin):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    admin.set_password_hash("admin", weak)
    user = authenticate(admin, "admin", PASSWORD)
    assert user.password_hash != weak
    assert admin.get_user("admin").password_hash == user.password_hash
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert authenticate(admin, "admin", PASSWORD).name == "admin"


# --- throttling ---------------------------------------------------------------------------


def test_five_failures_lock_the_name_even_for_the_right_password(admin):
    last = fail(admin, "admin", MAX_FAILED_LOGINS, T0)
    with pytest.raises(LoginRefused) as refused:
        authenticate(admin, "admin", PASSWORD, now=last + minutes(1))
    assert str(refused.value) == (
        "Too many failed logins for this account; try again in 14 minutes."
    )
    assert refused.value.retry_after == 14 * 60


def test_the_lock_ends_fifteen_minutes_after_the_last_failure(admin):
    last = fail(admin, "admin", MAX_FAILED_LOGINS, T0)
    with pytest.raises(LoginRefused, match=r"try again in 1 minute\.$"):
        authenticate(admin, "admin", PASSWORD, now=last + LOCKOUT - dt.timedelta(seconds=30))
    assert authenticate(admin, "admin", PASSWORD, now=last + LOCKOUT).name == "admin"


def test_attempts_while_locked_do_not_extend_the_lock(admin):
    last = fail(admin, "admin", MAX_FAILED_LOGINS, T0)
    for later in (1, 5, 10):
        with pytest.raises(LoginRefused, match="Too many"):
            authenticate(admin, "admin", "not the password", now=last + minutes(later))
    assert authenticate(admin, "admin", PASSWORD, now=last + LOCKOUT).name == "admin"


def test_failures_spread_over_more_than_the_window_do_not_lock(admin):
    step = FAILURE_WINDOW / (MAX_FAILED_LOGINS - 1) + dt.timedelta(seconds=1)
    last = fail(admin, "admin", MAX_FAILED_LOGINS, T0, step=step)
    assert authenticate(admin, "admin", PASSWORD, now=last + minutes(1)).name == "admin"


def test_a_successful_login_clears_the_failures(admin):
    last = fail(admin, "admin", MAX_FAILED_LOGINS - 1, T0)
    authenticate(admin, "admin", PASSWORD, now=last + minutes(1))
    last = fail(admin, "admin", MAX_FAILED_LOGINS - 1, last + minutes(2))
    assert authenticate(admin, "admin", PASSWORD, now=last + minutes(1)).name == "admin"


def test_setting_a_new_password_unlocks_the_account(admin):
    last = fail(admin, "admin", MAX_FAILED_LOGINS, T0)
    set_password(admin, "admin", "a brand new password")
    assert authenticate(admin, "admin", "a brand new password", now=last + minutes(1))


def test_unknown_names_are_throttled_alike_and_other_names_are_not(admin):
    last = fail(admin, "mallory", MAX_FAILED_LOGINS, T0)
    with pytest.raises(LoginRefused, match="Too many failed logins for this account"):
        authenticate(admin, "mallory", "anything at all", now=last + minutes(1))
    assert authenticate(admin, "admin", PASSWORD, now=last + minutes(1)).name == "admin"


def test_old_failures_are_forgotten_when_new_ones_are_recorded(admin):
    fail(admin, "mallory", 3, T0)
    fail(admin, "admin", 1, T0 + FAILURE_WINDOW + LOCKOUT + minutes(5))
    with admin.engine.connect() as connection:
        names = connection.scalars(select(schema.login_failures.c.user_name)).all()
    assert names == ["admin"]


# --- API tokens ---------------------------------------------------------------------------


def test_a_token_acts_as_its_user_and_only_its_hash_is_kept(admin):
    admin.add_user("partner", ["Points of Contact Create"])
    token = create_token(admin, "crm", "partner")
    assert token.startswith(TOKEN_PREFIX)
    assert len(token) > len(TOKEN_PREFIX) + 40
    user = user_for_token(admin, token)
    assert user is not None
    assert user.name == "partner"
    assert user.permissions == {"Points of Contact Create"}
    with admin.engine.connect() as connection:
        stored = connection.execute(select(schema.api_tokens)).one()
    assert token not in [str(value) for value in stored]
    assert create_token(admin, "crm-2", "partner") != token


def test_unknown_and_mangled_tokens_identify_nobody(admin):
    token = create_token(admin, "crm", "admin")
    for wrong in ("", TOKEN_PREFIX, token[:-1], token + "x", token.upper(), "bpk_\ud800"):
        assert user_for_token(admin, wrong) is None


def test_a_revoked_token_stops_working_and_stays_listed(admin):
    token = create_token(admin, "crm", "admin")
    keep = create_token(admin, "billing", "admin")
    revoke_token(admin, "crm")
    assert user_for_token(admin, token) is None
    assert user_for_token(admin, keep).name == "admin"
    listed = {info.name: info for info in list_tokens(admin)}
    assert listed["crm"].revoked_at is not None
    assert listed["billing"].revoked_at is None
    first = listed["crm"].revoked_at
    revoke_token(admin, "crm")
    assert {i.name: i for i in list_tokens(admin)}["crm"].revoked_at == first


def test_token_names_are_unique_and_need_a_known_user(admin):
    create_token(admin, "crm", "admin")
    with pytest.raises(TokenRejected, match="A token named 'crm' already exists"):
        create_token(admin, "crm", "admin")
    with pytest.raises(UnknownUser, match="'ghost'"):
        create_token(admin, "other", "ghost")
    with pytest.raises(TokenRejected, match="1 to 100 characters"):
        create_token(admin, "  ", "admin")
    with pytest.raises(TokenRejected, match="There is no API token named 'nope'"):
        revoke_token(admin, "nope")
    assert [info.name for info in list_tokens(admin)] == ["crm"]


def test_list_tokens_shows_name_user_and_times_never_the_token(admin):
    admin.add_user("partner", ["Skills Edit"])
    token = create_token(admin, "crm", "partner")
    (info,) = list_tokens(admin)
    assert (info.name, info.user, info.last_used_at, info.revoked_at) == (
        "crm",
        "partner",
        None,
        None,
    )
    assert isinstance(info.created_at, dt.datetime)
    assert token not in repr(info)


def test_last_use_is_recorded_at_most_once_a_minute(admin):
    token = create_token(admin, "crm", "admin")

    def last_used():
        return list_tokens(admin)[0].last_used_at

    user_for_token(admin, token, now=T0)
    assert last_used() == T0
    user_for_token(admin, token, now=T0 + dt.timedelta(seconds=59))
    assert last_used() == T0
    user_for_token(admin, token, now=T0 + LAST_USED_EVERY)
    assert last_used() == T0 + LAST_USED_EVERY


def test_a_users_tokens_go_with_the_user(admin):
    admin.add_user("partner", ["Skills Edit"])
    token = create_token(admin, "crm", "partner")
    with admin.transaction() as connection:
        connection.execute(schema.users.delete().where(schema.users.c.name == "partner"))
    assert user_for_token(admin, token) is None
    assert list_tokens(admin) == []


# --- the session secret -------------------------------------------------------------------


def test_the_session_secret_is_made_once_and_kept(empty_store):
    secret = session_secret(empty_store)
    assert len(secret) >= 64
    assert session_secret(empty_store) == secret
    with empty_store.engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(schema.app_secrets))
    assert count == 1


def test_two_processes_asking_at_once_share_the_first_secret(empty_store):
    # Both make a candidate after seeing none stored, so both try to insert one.
    both_made = threading.Barrier(2, timeout=30)
    got: list[str] = []

    def make() -> str:
        both_made.wait()
        return f"candidate-{threading.get_ident()}"

    def ask() -> None:
        got.append(empty_store.shared_secret("session", make))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(got) == 2
    assert got[0] == got[1]
    assert got[0].startswith("candidate-")
    assert session_secret(empty_store) == got[0]


# --- throttling by address, known devices, locks end sessions (issue 22, items 2 and 4) -------

ADDRESS = "203.0.113.7"


def test_one_address_trying_many_names_is_throttled_whatever_the_name(admin):
    at = T0
    for number in range(MAX_FAILED_PER_ADDRESS):
        at = T0 + number * ONE_MINUTE
        with pytest.raises(LoginRefused, match=f"^{WRONG}$"):
            authenticate(admin, f"user{number}", "Summer2026!", now=at, client=ADDRESS)
    with pytest.raises(LoginRefused) as refused:
        authenticate(admin, "admin", PASSWORD, now=at + ONE_MINUTE, client=ADDRESS)
    assert str(refused.value) == (
        "Too many failed logins from your address; try again in 14 minutes."
    )
    assert refused.value.retry_after == 14 * 60
    # the names were tried once each: from elsewhere, the right password works
    assert authenticate(admin, "admin", PASSWORD, now=at + ONE_MINUTE, client="198.51.100.1")
    assert authenticate(admin, "admin", PASSWORD, now=at + LOCKOUT, client=ADDRESS)


def test_an_ipv6_client_is_counted_by_its_network(admin):
    assert client_key("2001:db8:1:2::7") == client_key("2001:db8:1:2:ffff::1")
    assert client_key("2001:db8:1:3::7") != client_key("2001:db8:1:2::7")
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key(ADDRESS) == ADDRESS


def test_a_known_device_logs_in_while_the_name_is_locked_by_someone_else(admin):
    last = fail(admin, "admin", MAX_FAILED_LOGINS, T0)
    later = last + ONE_MINUTE
    with pytest.raises(LoginRefused, match="Too many failed logins for this account"):
        authenticate(admin, "admin", PASSWORD, now=later, client=ADDRESS)
    user = authenticate(
        admin, "admin", PASSWORD, now=later, client="198.51.100.1", known_device=True
    )
    assert user.name == "admin"
    with pytest.raises(LoginRefused, match=f"^{WRONG}$"):  # still needs the password
        authenticate(admin, "admin", "a guess", now=later, known_device=True)


def test_a_lock_ends_the_users_sessions(admin, settings):
    session = start_session(admin, "admin", settings, now=T0)
    fail(admin, "admin", MAX_FAILED_LOGINS - 1, T0)
    assert session_user(admin, session, settings, now=T0 + minutes(5)) is not None
    fail(admin, "admin", 1, T0 + minutes(6))
    assert session_user(admin, session, settings, now=T0 + minutes(7)) is None


def test_a_disabled_user_is_refused_as_a_wrong_password_is(admin):
    admin.set_disabled("admin", T0)
    with pytest.raises(LoginRefused, match=f"^{WRONG}$"):
        authenticate(admin, "admin", PASSWORD, now=T0)
    admin.set_disabled("admin", None)
    assert authenticate(admin, "admin", PASSWORD, now=T0).name == "admin"


# --- sessions (issue 22, item 2) ---------------------------------------------------------------


def test_a_session_ends_when_idle_too_long_and_a_visit_keeps_it(admin, settings):
    idle = dt.timedelta(seconds=settings.session_idle_seconds)
    session = start_session(admin, "admin", settings, now=T0)
    at = T0
    for _ in range(3):  # visits closer than the idle time keep it going past it
        at += idle - ONE_MINUTE
        assert session_user(admin, session, settings, now=at) is not None
    assert session_user(admin, session, settings, now=at + idle + ONE_MINUTE) is None
    assert session_user(admin, session, settings, now=at + ONE_MINUTE) is None  # ended for good


def test_a_session_ends_at_its_longest_however_busy(admin, settings):
    longest = dt.timedelta(seconds=settings.session_max_seconds)
    session = start_session(admin, "admin", settings, now=T0)
    at = T0
    while at + minutes(30) <= T0 + longest:
        at += minutes(30)
        assert session_user(admin, session, settings, now=at) is not None
    assert session_user(admin, session, settings, now=T0 + longest + ONE_MINUTE) is None


def test_only_a_hash_of_the_session_id_is_kept_and_ending_it_ends_it(admin, settings):
    session = start_session(admin, "admin", settings)
    with admin.engine.connect() as connection:
        kept = connection.scalars(select(schema.web_sessions.c.id_sha256)).all()
    assert session not in kept
    assert len(kept) == 1
    other = start_session(admin, "admin", settings)
    end_session(admin, session)
    assert session_user(admin, session, settings) is None
    assert session_user(admin, other, settings) is not None
    for made_up in ("", "x", "é" * 43, session[:-1] + "A"):
        assert session_user(admin, made_up, settings) is None


def test_expired_sessions_are_forgotten_when_new_ones_start(admin, settings):
    start_session(admin, "admin", settings, now=T0)
    start_session(admin, "admin", settings, now=T0 + dt.timedelta(days=1))
    assert admin.count(schema.web_sessions) == 1
