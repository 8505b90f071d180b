// The hosted capture page (api/views/capture.py): upload, submit, wait, go back to the tenant.
// It uses the public API with the client secret from the page; no inline script (CSP script-src 'self').
(function () {
  "use strict";
  var secret = document.getElementById("capture").dataset.secret;
  var config = JSON.parse(document.getElementById("capture-config").textContent);
  var hints = JSON.parse(document.getElementById("capture-hints").textContent);
  var base = "/v1/verifications/" + config.verification_id;
  var order = ["id_front", "id_back", "selfie", "submit"];
  var chosen = {};
  var uploaded = {};  // kinds already stored (a retake replaces one; the others are kept)
  var skipped = {};
  (config.uploaded || []).forEach(function (kind) { uploaded[kind] = true; });

  function $(selector) { return document.querySelector(selector); }
  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }

  function show(step) {
    all("section.step").forEach(function (s) { s.hidden = s.dataset.step !== step; });
    all("[data-progress]").forEach(function (li) {
      li.classList.toggle("current", li.dataset.progress === step);
    });
  }

  function problem(code, fallback) {
    $("#problem-text").textContent = hints[code] || fallback || "Something went wrong. Please try again.";
    $("#problem").hidden = false;
  }

  function clearProblem() { $("#problem").hidden = true; }

  // The next step still to do: a photo already uploaded (or a back skipped) is not asked again.
  function next(step) {
    var i = order.indexOf(step) + 1;
    while (i < order.length - 1 && (uploaded[order[i]] || skipped[order[i]])) i += 1;
    show(order[i]);
  }

  function call(method, path, body) {
    return fetch(base + path, {
      method: method,
      headers: { Authorization: "Bearer " + secret },
      body: body,
      credentials: "omit",
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function errorOf(result) {
    var error = (result.data && result.data.error) || {};
    return { code: error.code || "", message: error.message || "", details: error.details || {} };
  }

  all("input[data-file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var kind = input.dataset.file;
      var file = input.files && input.files[0];
      chosen[kind] = file || null;
      var preview = $('[data-preview="' + kind + '"]');
      if (file) {
        preview.src = URL.createObjectURL(file);
        preview.hidden = false;
      }
      $('[data-upload="' + kind + '"]').disabled = !file;
    });
  });

  all("button[data-upload]").forEach(function (button) {
    button.addEventListener("click", function () {
      var kind = button.dataset.upload;
      var form = new FormData();
      form.append("kind", kind);
      form.append("file", chosen[kind]);
      button.disabled = true;
      button.textContent = "Uploading…";
      call("POST", "/files", form).then(function (result) {
        button.textContent = "Use this photo";
        if (result.ok) {
          clearProblem();
          uploaded[kind] = true;
          next(kind);
        } else {
          var error = errorOf(result);
          problem(error.code, error.message);
          button.disabled = false;
        }
      }, function () {
        button.textContent = "Use this photo";
        button.disabled = false;
        problem("", "No connection. Check your network and try again.");
      });
    });
  });

  all("button[data-skip]").forEach(function (button) {
    button.addEventListener("click", function () {
      clearProblem();
      skipped[button.dataset.skip] = true;
      next(button.dataset.skip);
    });
  });

  $("#submit").addEventListener("click", function () {
    $("#submit").disabled = true;
    call("POST", "/submit").then(function (result) {
      $("#submit").disabled = false;
      if (result.ok) {
        clearProblem();
        show("checking");
        poll();
        return;
      }
      var error = errorOf(result);
      problem(error.code, error.message);
      if (error.code === "missing_files" && error.details.missing) show(error.details.missing[0]);
    });
  });

  function retake(lastError) {
    var step = lastError.step || "id_front";
    problem(lastError.code, lastError.message);
    uploaded[step] = false;
    var input = $('[data-file="' + step + '"]');
    if (input) input.value = "";
    var upload = $('[data-upload="' + step + '"]');
    if (upload) upload.disabled = true;
    var preview = $('[data-preview="' + step + '"]');
    if (preview) preview.hidden = true;
    show(order.indexOf(step) >= 0 ? step : "id_front");
  }

  var OUTCOMES = {
    verified: ["You are verified", "Thank you. You can go back now."],
    rejected: ["We could not verify you", "The service you are joining will tell you what to do next."],
    needs_review: ["Thank you", "A person will check your photos. You can go back now."],
    canceled: ["This verification was canceled", "Go back to the service you are joining."],
    redacted: ["This verification is closed", "Go back to the service you are joining."],
  };

  function finish(status) {
    var text = OUTCOMES[status] || OUTCOMES.needs_review;
    $("#done-title").textContent = text[0];
    $("#done-text").textContent = text[1];
    show("done");
    if (config.return_url) {
      var link = $("#return");
      link.href = config.return_url;
      link.hidden = false;
      window.setTimeout(function () { window.location.assign(config.return_url); }, 1500);
    }
  }

  function poll() {
    call("GET", "").then(function (result) {
      if (!result.ok) {
        var error = errorOf(result);
        problem(error.code, error.message);
        return;
      }
      var status = result.data.status;
      if (status === "processing") {
        window.setTimeout(poll, 1000);
      } else if (status === "requires_input") {
        retake(result.data.last_error || {});
      } else {
        finish(status);
      }
    }, function () { window.setTimeout(poll, 3000); });
  }

  if (config.status === "requires_input" && config.last_error) {
    retake(config.last_error);
  } else if (config.status === "processing") {
    show("checking");
    poll();
  } else if (config.status !== "requires_input") {
    finish(config.status);
  } else {
    next("start");
  }
})();
