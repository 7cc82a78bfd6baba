def test_login_page_renders_in_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.text


def test_favicon_is_served_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    assert 'rel="icon"' in client.get("/login").text
