/*
 * Escaping for HTML, XML, JSON and URIs, UTF-8 checking, SHA-256 and base64.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "sha256.h"

typedef void (*esc_fn)(struct strbuf *, const char *);

static char *run(esc_fn fn, const char *in)
{
    struct strbuf sb;
    sb_init(&sb);
    fn(&sb, in);
    return sb_detach(&sb);
}

#define EXPECT(fn, in, want)                                                          \
    do {                                                                              \
        char *got_ = run(fn, in);                                                     \
        cr_assert_str_eq(got_, want, "%s(%s)", #fn, in);                              \
        free(got_);                                                                   \
    } while (0)

Test(escape, html_markup)
{
    EXPECT(ls_esc_html_sb, "<img src=x onerror=alert(1)>",
           "&lt;img src=x onerror=alert(1)&gt;");
    EXPECT(ls_esc_html_sb, "a&b \"q\" 'p'", "a&amp;b &quot;q&quot; &#39;p&#39;");
    EXPECT(ls_esc_html_sb, "</script><script>", "&lt;/script&gt;&lt;script&gt;");
    EXPECT(ls_esc_html_sb, "", "");
    EXPECT(ls_esc_html_sb, NULL, "");
}

Test(escape, html_keeps_utf8_and_replaces_controls)
{
    EXPECT(ls_esc_html_sb, "caf\xc3\xa9 \xe2\x86\x92", "caf\xc3\xa9 \xe2\x86\x92");
    EXPECT(ls_esc_html_sb, "a\x01z\x7f", "a\xef\xbf\xbdz\xef\xbf\xbd");
    EXPECT(ls_esc_html_sb, "tab\there\nline", "tab\there\nline");
}

Test(escape, xml_is_strict_about_utf8)
{
    EXPECT(ls_esc_xml_sb, "<a b=\"c\">&</a>", "&lt;a b=&quot;c&quot;&gt;&amp;&lt;/a&gt;");
    /* A lone continuation byte, a truncated sequence, an overlong '/', a
     * surrogate: all invalid, each byte replaced. */
    EXPECT(ls_esc_xml_sb, "x\x80y", "x\xef\xbf\xbdy");
    EXPECT(ls_esc_xml_sb, "\xe2\x86", "\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT(ls_esc_xml_sb, "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT(ls_esc_xml_sb, "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT(ls_esc_xml_sb, "\x1b[31m", "\xef\xbf\xbd[31m");
    EXPECT(ls_esc_xml_sb, "cr\r", "cr&#13;");
    EXPECT(ls_esc_xml_sb, "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
}

Test(escape, json_strings)
{
    EXPECT(ls_esc_json_sb, NULL, "null");
    EXPECT(ls_esc_json_sb, "a\"b\\c\nd\te", "\"a\\\"b\\\\c\\nd\\te\"");
    EXPECT(ls_esc_json_sb, "</script>&", "\"\\u003c/script\\u003e\\u0026\"");
    EXPECT(ls_esc_json_sb, "\x01\x7f", "\"\\u0001\\u007f\"");
    EXPECT(ls_esc_json_sb, "bad\xff", "\"bad\\ufffd\"");
    EXPECT(ls_esc_json_sb, "\xc3\xa9", "\"\xc3\xa9\"");
}

Test(escape, uri_paths)
{
    EXPECT(ls_esc_uri_sb, "src/a b/<x>.c", "src/a%20b/%3Cx%3E.c");
    EXPECT(ls_esc_uri_sb, "a-b_c.d~e/f", "a-b_c.d~e/f");
    EXPECT(ls_esc_uri_sb, "100%#?", "100%25%23%3F");
    EXPECT(ls_esc_uri_sb, "\xc3\xa9", "%C3%A9");
}

Test(escape, utf8_length)
{
    cr_assert_eq(ls_utf8_len((const unsigned char *)"a"), 1);
    cr_assert_eq(ls_utf8_len((const unsigned char *)"\xc3\xa9"), 2);
    cr_assert_eq(ls_utf8_len((const unsigned char *)"\xe2\x82\xac"), 3);
    cr_assert_eq(ls_utf8_len((const unsigned char *)"\xf4\x8f\xbf\xbf"), 4);
    cr_assert_eq(ls_utf8_len((const unsigned char *)"\xf4\x90\x80\x80"), 0, "past U+10FFFF");
    cr_assert_eq(ls_utf8_len((const unsigned char *)"\xe0\x80\x80"), 0, "overlong");
}

static void hex(const uint8_t *d, char *out)
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

Test(escape, sha256_vectors)
{
    uint8_t d[32];
    char h[65];
    ls_sha256("", 0, d);
    hex(d, h);
    cr_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ls_sha256("abc", 3, d);
    hex(d, h);
    cr_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ls_sha256(m, strlen(m), d);
    hex(d, h);
    cr_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char big[1000];
    memset(big, 'a', sizeof big);
    ls_sha256(big, sizeof big, d);
    hex(d, h);
    cr_assert_str_eq(h, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

Test(escape, base64)
{
    char out[16];
    ls_base64((const uint8_t *)"", 0, out);
    cr_assert_str_eq(out, "");
    ls_base64((const uint8_t *)"f", 1, out);
    cr_assert_str_eq(out, "Zg==");
    ls_base64((const uint8_t *)"fo", 2, out);
    cr_assert_str_eq(out, "Zm8=");
    ls_base64((const uint8_t *)"foobar", 6, out);
    cr_assert_str_eq(out, "Zm9vYmFy");
}
