(function(){
'use strict';
var boxes=[].slice.call(document.querySelectorAll('#filters input[data-kind]'));
var newOnly=document.getElementById('new-only');
var all=[].slice.call(document.querySelectorAll('article.finding'));
function apply(){
  var on={};boxes.forEach(function(b){on[b.getAttribute('data-kind')]=b.checked;});
  var shown=0;
  all.forEach(function(a){
    var vis=on[a.getAttribute('data-kind')]!==false&&
      !(newOnly&&newOnly.checked&&a.getAttribute('data-baseline')==='known');
    a.hidden=!vis;if(vis)shown++;});
  var s=document.getElementById('shown');
  if(s)s.textContent='Showing '+shown+' of '+all.length+' finding'+(all.length===1?'':'s');
}
function reveal(){
  var id=decodeURIComponent(location.hash.slice(1));
  var el=id?document.getElementById(id):null;
  if(!el||!el.classList.contains('finding')||!el.hidden)return;
  boxes.forEach(function(b){if(b.getAttribute('data-kind')===el.getAttribute('data-kind'))b.checked=true;});
  if(newOnly)newOnly.checked=false;
  apply();el.scrollIntoView();
}
boxes.forEach(function(b){b.addEventListener('change',apply);});
if(newOnly)newOnly.addEventListener('change',apply);
window.addEventListener('hashchange',reveal);
var f=document.getElementById('filters');if(f)f.hidden=false;
apply();reveal();
document.documentElement.setAttribute('data-ready','1');
})();
(function(){
'use strict';
var box=document.getElementById('process-filter');
var rows=[].slice.call(document.querySelectorAll('#processes tr')).slice(1);
if(!box)return;
function filter(){
  var q=box.value.toLowerCase(),shown=0;
  rows.forEach(function(tr){var vis=!q||tr.textContent.toLowerCase().indexOf(q)>=0;
    tr.hidden=!vis;if(vis)shown++;});
  document.getElementById('process-shown').textContent=shown+' of '+rows.length+' shown';
}
box.addEventListener('input',filter);
document.getElementById('process-search').hidden=false;
filter();
})();
