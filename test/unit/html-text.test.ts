import { htmlToText } from '../../core/html-text';

describe('htmlToText', () => {
  it('when an email has paragraphs, a link and a list, then the text keeps their shape and the link target', () => {
    const html = `<html><head><title>x</title><style>p{color:red}</style></head><body>
      <h1>Hello&nbsp;Ada</h1><p>Your order is <b>on its way</b>.</p>
      <ul><li>Socks</li><li>Hat &amp; scarf</li></ul>
      <p><a href="https://shop.example/orders/1?a=1&amp;b=2">Track it</a> or <a href="https://shop.example">https://shop.example</a></p>
      <!-- tracking --><script>alert(1)</script></body></html>`;
    expect(htmlToText(html)).toBe(
      'Hello Ada\n\nYour order is on its way.\n\n- Socks\n- Hat & scarf\n\nTrack it (https://shop.example/orders/1?a=1&b=2) or https://shop.example',
    );
  });

  it('when there are line breaks, numeric entities and table cells, then they become text', () => {
    expect(htmlToText('Line one<br>Line two<br/>&#8364;5 &#x2014; <table><tr><td>A</td><td>B</td></tr></table>')).toBe('Line one\nLine two\n€5 —\nA B');
  });

  it('when an entity is unknown or a link has no target, then it is left as it stands', () => {
    expect(htmlToText('<p>&bogus; <a name="top">Top</a></p>')).toBe('&bogus; Top');
  });
});
