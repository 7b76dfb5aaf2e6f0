"""Comments on a module: who may post, edit, delete and remove; never across organisations."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.models import Comment, Module
from pathways.social import queries, services
from tests.conftest import count_queries, make_member
from tests.pathways.social.helpers import make_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(org_a, org_b):
    module = make_module(org_a, "Feedback that lands")
    author = make_member(org_a, "ada@a.example", is_learner=True)
    other = make_member(org_a, "ben@a.example", is_learner=True)
    admin = make_member(org_a, "hr@a.example", is_admin=True)
    with tenant_context(org_a):
        comment = services.do_post_comment(author, module.pk, "  Tried it on Monday.  ")
    outsider = make_member(org_b, "olga@b.example", is_learner=True, is_admin=True)
    return {
        "module": module,
        "author": author,
        "other": other,
        "admin": admin,
        "comment": comment,
        "outsider": outsider,
    }


def test_it_posts_a_trimmed_comment_that_colleagues_see(org_a, thread):
    with tenant_context(org_a):
        view = queries.comments_for(thread["module"].pk, thread["other"])
    assert [(c.author, c.body, c.is_mine) for c in view.items] == [
        ("Ada", "Tried it on Monday.", False)
    ]
    assert view.can_post and not view.can_moderate


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_it_refuses_an_empty_or_too_long_comment(org_a, thread, body):
    with tenant_context(org_a):
        with pytest.raises(ValidationError):
            services.do_post_comment(thread["other"], thread["module"].pk, body)
        assert Comment.objects.count() == 1


def test_it_refuses_comments_on_a_draft_module(org_a, thread):
    draft = make_module(org_a, "Draft", status=Module.Status.DRAFT)
    with tenant_context(org_a), pytest.raises(Module.DoesNotExist):
        services.do_post_comment(thread["author"], draft.pk, "Early!")


def test_it_lets_only_the_author_edit_and_delete(org_a, thread):
    comment = thread["comment"]
    with tenant_context(org_a):
        with pytest.raises(PermissionDenied):
            services.do_edit_comment(thread["other"], comment.pk, "Hijacked")
        with pytest.raises(PermissionDenied):
            services.do_delete_comment(thread["admin"], comment.pk)
        edited = services.do_edit_comment(thread["author"], comment.pk, "Tried it twice.")
        assert edited.body == "Tried it twice." and edited.edited_at is not None
        services.do_delete_comment(thread["author"], comment.pk)
        assert not Comment.objects.exists()


def test_it_lets_an_admin_remove_a_comment_leaving_a_placeholder(org_a, thread):
    comment = thread["comment"]
    with tenant_context(org_a):
        with pytest.raises(PermissionDenied):
            services.do_remove_comment(thread["other"], comment.pk)
        services.do_remove_comment(thread["admin"], comment.pk)
        services.do_remove_comment(thread["admin"], comment.pk)  # twice: one audit entry
        view = queries.comments_for(thread["module"].pk, thread["author"])
        assert [(c.removed, c.body, c.is_mine) for c in view.items] == [(True, "", False)]
        assert view.count == 0
        entries = list(AuditEntry.objects.filter(action="removed", object_type="Comment"))
        assert len(entries) == 1 and entries[0].actor == thread["admin"].user
        with pytest.raises(ValidationError):
            services.do_edit_comment(thread["author"], comment.pk, "Back again")


def test_it_renders_the_placeholder_and_hides_the_text_on_the_page(client, org_a, thread):
    with tenant_context(org_a):
        services.do_remove_comment(thread["admin"], thread["comment"].pk)
    client.force_login(thread["other"].user)
    html = client.get(f"/o/{org_a.slug}/catalogue/modules/{thread['module'].pk}/comments/")
    assert "removed by an admin" in html.content.decode()
    assert "Tried it on Monday." not in html.content.decode()


def test_it_posts_edits_and_deletes_through_the_pages(client, org_a, thread):
    client.force_login(thread["author"].user)
    base = f"/o/{org_a.slug}"
    module_id, comment_id = thread["module"].pk, thread["comment"].pk
    response = client.post(
        f"{base}/catalogue/modules/{module_id}/comments/new/",
        {"body": "Second thought"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Second thought" in response.content.decode()
    response = client.post(f"{base}/catalogue/modules/{module_id}/comments/new/", {"body": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert client.get(f"{base}/comments/{comment_id}/edit/").status_code == 200
    response = client.post(f"{base}/comments/{comment_id}/edit/", {"body": "Edited"})
    assert response.status_code == 302
    assert client.post(f"{base}/comments/{comment_id}/delete/").status_code == 302
    with tenant_context(org_a):
        assert list(Comment.objects.values_list("body", flat=True)) == ["Second thought"]


def test_it_gives_404_when_someone_else_tries_to_edit_or_delete(client, org_a, thread):
    client.force_login(thread["other"].user)
    comment_id = thread["comment"].pk
    assert client.get(f"/o/{org_a.slug}/comments/{comment_id}/edit/").status_code == 404
    assert client.post(f"/o/{org_a.slug}/comments/{comment_id}/delete/").status_code == 404
    # Removing is for admins only.
    assert client.post(f"/o/{org_a.slug}/comments/{comment_id}/remove/").status_code == 404
    with tenant_context(org_a):
        assert Comment.objects.get().removed_at is None


def test_it_never_shows_comments_to_another_organisation(client, org_a, org_b, thread):
    with tenant_context(org_b):
        assert not Comment.objects.exists()
        with pytest.raises(Module.DoesNotExist):
            queries.comments_for(thread["module"].pk, thread["outsider"])
    client.force_login(thread["outsider"].user)
    comment_id, module_id = thread["comment"].pk, thread["module"].pk
    b = f"/o/{org_b.slug}"
    assert client.get(f"{b}/catalogue/modules/{module_id}/comments/").status_code == 404
    assert client.get(f"{b}/comments/{comment_id}/edit/").status_code == 404
    for action in ("edit", "delete", "remove"):
        assert client.post(f"{b}/comments/{comment_id}/{action}/", {"body": "x"}).status_code == 404
    with tenant_context(org_a):
        comment = Comment.objects.get()
        assert comment.body == "Tried it on Monday." and comment.removed_at is None


def test_it_renders_the_comments_partial_in_a_constant_number_of_queries(client, org_a, thread):
    client.force_login(thread["other"].user)
    url = f"/o/{org_a.slug}/catalogue/modules/{thread['module'].pk}/comments/"

    def count() -> int:
        with count_queries() as ctx:
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
        return len(ctx.app_queries)

    small = count()
    people = [make_member(org_a, f"p{i}@a.example", is_learner=True) for i in range(8)]
    with tenant_context(org_a):
        for i in range(40):
            services.do_post_comment(people[i % 8], thread["module"].pk, f"Comment {i}")
    assert count() == small


def test_it_lists_recent_comments_for_admins_only(client, org_a, org_b, thread):
    url = f"/o/{org_a.slug}/comments/"
    client.force_login(thread["author"].user)
    assert client.get(url).status_code == 404
    client.force_login(thread["admin"].user)
    response = client.post(
        f"/o/{org_a.slug}/comments/{thread['comment'].pk}/remove/", {"next": url}
    )
    assert response.status_code == 302 and response["Location"] == url
    html = client.get(url).content.decode()
    assert "Removed by Hr" in html and "Tried it on Monday." not in html
    with tenant_context(org_b):
        assert queries.recent_comments() == []


def test_it_lists_recent_comments_in_a_constant_number_of_queries(client, org_a, thread):
    client.force_login(thread["admin"].user)
    url = f"/o/{org_a.slug}/comments/"

    def count() -> int:
        with count_queries() as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.app_queries)

    small = count()
    modules = [make_module(org_a, f"Module {i}") for i in range(5)]
    people = [make_member(org_a, f"p{i}@a.example", is_learner=True) for i in range(5)]
    with tenant_context(org_a):
        for i in range(30):
            comment = services.do_post_comment(people[i % 5], modules[i % 5].pk, f"Note {i}")
            if i % 7 == 0:
                services.do_remove_comment(thread["admin"], comment.pk)
    assert count() == small
