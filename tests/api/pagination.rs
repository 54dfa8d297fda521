//! Cursor pagination: complete, duplicate-free walks, tamper-evident cursors, sorts, Link.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{As, problem, spawn_app};

#[actix_web::test]
async fn walking_a_filtered_list_while_rows_are_inserted_finds_no_duplicates() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let mut body = app.m6(&authority, &focal);
    let mut expected = Vec::new();
    for i in 0..25 {
        body["title"] = json!(format!("Road {i:02}"));
        expected.push(app.published(&body).await);
    }
    let mut seen = Vec::new();
    let mut path = "/v1/opportunities?sector=transport&limit=4&sort=title".to_owned();
    let mut pages = 0;
    loop {
        let response = app.get(&path, As::Anonymous).await;
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned());
        let page: Value = response.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        // Rows inserted meanwhile must not disturb the walk.
        body["title"] = json!(format!("Road {pages:02} late"));
        app.published(&body).await;
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(cursor) => {
                let link = link.expect("a Link header with every next page");
                assert!(link.ends_with("; rel=\"next\""), "{link}");
                assert!(
                    link.contains("sector=transport") && link.contains("limit=4"),
                    "{link}"
                );
                path = format!(
                    "/v1/opportunities?sector=transport&limit=4&sort=title&cursor={cursor}"
                );
            }
            None => {
                assert!(link.is_none());
                break;
            }
        }
        assert!(pages < 50, "the walk does not end");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was returned twice");
    for id in &expected {
        assert!(seen.contains(id), "{id} was skipped");
    }
    assert_eq!(
        pages, 7,
        "25 rows at 4 a page, plus rows inserted behind the cursor"
    );
}

#[actix_web::test]
async fn every_sort_pages_through_everything_in_order_both_ways() {
    let app = spawn_app().await;
    for i in 0..7 {
        app.create_party(
            &format!("Party {}", (b'a' + (i * 3 % 7) as u8) as char),
            "company",
            "PK",
        )
        .await;
    }
    for sort in [
        "createdAt",
        "-createdAt",
        "name",
        "-name",
        "updatedAt",
        "-updatedAt",
    ] {
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/parties?limit=3&sort={sort}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page: Value = app.get(&path, app.officer()).await.json().await.unwrap();
            for p in page["items"].as_array().unwrap() {
                names.push(p["name"].as_str().unwrap().to_owned());
            }
            match page["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(names.len(), 7, "{sort}");
        if sort.ends_with("name") {
            let mut sorted = names.clone();
            sorted.sort();
            if sort.starts_with('-') {
                sorted.reverse();
            }
            assert_eq!(names, sorted, "{sort}");
        }
    }
}

#[actix_web::test]
async fn a_cursor_is_refused_when_altered_or_used_with_other_filters() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.create_party(&format!("P{i}"), "company", "PK").await;
    }
    let page: Value = app
        .get("/v1/parties?limit=1&country=PK", app.officer())
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(
            &format!("/v1/parties?limit=2&country=PK&cursor={cursor}"),
            app.officer()
        )
        .await
        .status(),
        200
    );
    problem(
        app.get(
            &format!("/v1/parties?limit=1&country=AZ&cursor={cursor}"),
            app.officer(),
        )
        .await,
        400,
    )
    .await;
    problem(
        app.get(
            &format!("/v1/parties?limit=1&country=PK&sort=name&cursor={cursor}"),
            app.officer(),
        )
        .await,
        400,
    )
    .await;
    let mut altered = cursor.clone().into_bytes();
    altered[3] = if altered[3] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    problem(
        app.get(
            &format!("/v1/parties?limit=1&country=PK&cursor={altered}"),
            app.officer(),
        )
        .await,
        400,
    )
    .await;
}

#[actix_web::test]
async fn the_default_page_is_20_and_the_last_page_has_no_cursor() {
    let app = spawn_app().await;
    for i in 0..21 {
        app.create_party(&format!("P{i}"), "company", "PK").await;
    }
    let page: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    assert_eq!(page["totalCount"], 21);
    let cursor = page["nextCursor"].as_str().unwrap();
    let last: Value = app
        .get(
            &format!("/v1/parties?includeTotal=true&cursor={cursor}"),
            app.officer(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert!(last.get("nextCursor").is_none());
}
